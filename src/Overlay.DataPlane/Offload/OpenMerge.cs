namespace Overlay.DataPlane.Offload;

/// <summary>The merge a flow is currently growing in one output slot, and what the next segment must match.</summary>
internal struct OpenMerge
{
    /// <summary>The output slot holding the merge: its first segment's headers followed by every payload so far.</summary>
    public int Slot;

    public uint NextSequence;

    public uint Acknowledgment;

    /// <summary>The first segment's payload size: later ones must match it, except a shorter last.</summary>
    public int SegmentSize;

    /// <summary>A shorter or PSH segment was merged, so nothing may follow it.</summary>
    public bool Sealed;

    /// <summary>
    /// UDP: the first datagram's checksum has been verified. It is checked only once a second datagram joins, so
    /// datagrams that never merge (single DNS queries, say) cost no pass over their bytes.
    /// </summary>
    public bool HeadVerified;
}
