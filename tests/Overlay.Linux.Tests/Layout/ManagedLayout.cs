using System.Reflection;
using System.Runtime.InteropServices;

namespace Overlay.Linux.Tests.Layout;

/// <summary>
/// Offsets and sizes of the managed mirrors of native structs, found by reflection on their instance fields. Tmds.LibC
/// keeps C member names on properties backed by fields named <c>&lt;m&gt;k__BackingField</c> or <c>_m</c>, so a C member
/// name resolves to the field that actually holds the bytes.
/// </summary>
internal static class ManagedLayout
{
    public static int SizeOf(Type type) => Marshal.SizeOf(type);

    public static (int Offset, int Size) Member(Type type, string cMember)
    {
        FieldInfo field = Field(type, cMember);
        int offset = (int)Marshal.OffsetOf(type, field.Name);
        int size = field.FieldType.IsPointer ? IntPtr.Size : Marshal.SizeOf(field.FieldType);
        return (offset, size);
    }

    private static FieldInfo Field(Type type, string cMember)
    {
        const BindingFlags instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        foreach (string candidate in new[] { cMember, $"<{cMember}>k__BackingField", "_" + cMember })
        {
            if (type.GetField(candidate, instance) is { } field)
            {
                return field;
            }
        }
        throw new MissingFieldException($"{type.FullName} has no field for C member '{cMember}'");
    }
}
