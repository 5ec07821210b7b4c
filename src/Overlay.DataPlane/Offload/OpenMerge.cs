namespace Overlay.DataPlane.Offload;

/// <summary>The merge a flow is currently growing in one output slot, and what the next segment must match.</summary>
internal struct OpenMerge
{
    /// <summary>The output packet holding the merge (its first segment and every payload so far), or -1 for none.</summary>
    public int Packet;

    public uint NextSequence;

    public uint Acknowledgment;

    /// <summary>The first segment's payload size: later ones must match it, except a shorter last.</summary>
    public int SegmentSize;

    /// <summary>A shorter or PSH segment was merged, so nothing may follow it.</summary>
    public bool Sealed;

    /// <summary>
    /// The first packet's transport checksum has been verified. It is checked only once a second packet joins, so
    /// packets that never merge (single DNS queries, the last segment of a burst) cost no pass over their bytes: they
    /// reach the kernel as they came, and it checks them itself.
    /// </summary>
    public bool HeadVerified;
}
