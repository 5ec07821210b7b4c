using System.Numerics;

namespace Overlay.DataPlane.Forwarding;

/// <summary>Which way a forwarding batch moved packets.</summary>
public enum BatchSide
{
    /// <summary>TUN → UDP: packets read from the device in one pump, counted as plain packets (segments).</summary>
    Outbound = 0,

    /// <summary>UDP → TUN: datagrams received in one pump.</summary>
    Inbound = 1,
}

/// <summary>
/// Power-of-two buckets for the packets one pump of a forwarding loop moved, so operators can see whether the
/// syscall batching works (a stream of single-packet batches costs a wake-up per packet).
/// </summary>
public static class BatchSizes
{
    /// <summary>Buckets: 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64 and more.</summary>
    public const int BucketCount = 7;

    private static readonly string[] s_labels = ["1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"];

    /// <summary>The bucket of a batch of <paramref name="packets"/> (at least 1).</summary>
    public static int BucketOf(int packets) => Math.Min(BucketCount - 1, BitOperations.Log2((uint)Math.Max(1, packets)));

    /// <summary>The bucket's label, e.g. "4-7".</summary>
    public static string Label(int bucket) => s_labels[bucket];

    internal static int Index(BatchSide side, int bucket) => ((int)side * BucketCount) + bucket;

    internal const int TableSize = 2 * BucketCount;
}
