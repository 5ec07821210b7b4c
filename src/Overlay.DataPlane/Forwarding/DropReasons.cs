namespace Overlay.DataPlane.Forwarding;

/// <summary>Sizes for tables indexed by <see cref="DropReason"/>.</summary>
public static class DropReasons
{
    /// <summary>One more than the largest <see cref="DropReason"/> value, so any reason indexes an array this long.</summary>
    public static int TableSize { get; } = ComputeTableSize();

    private static int ComputeTableSize()
    {
        int largest = 0;
        foreach (DropReason reason in Enum.GetValues<DropReason>())
        {
            largest = Math.Max(largest, (int)reason);
        }
        return largest + 1;
    }
}
