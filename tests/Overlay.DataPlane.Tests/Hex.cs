namespace Overlay.DataPlane.Tests;

/// <summary>Reads hand-written packet vectors: hex digits, with spaces allowed between groups for readability.</summary>
internal static class Hex
{
    public static byte[] Bytes(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));
}
