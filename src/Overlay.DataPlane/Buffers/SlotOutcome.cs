namespace Overlay.DataPlane.Buffers;

/// <summary>
/// What happened to one packet handed to a send or a write: <see cref="Done"/>, or the errno it was refused with
/// (always positive). The I/O layer sets it for every packet it was given; the one accounting path reads it.
/// </summary>
public static class SlotOutcome
{
    /// <summary>The kernel took the packet.</summary>
    public const int Done = 0;

    /// <summary>Refused because the socket's buffer stayed full (EAGAIN): the packet was never handed over.</summary>
    public const int BufferFull = 11;

    /// <summary>Refused before any syscall: the packet is longer than its slot or cannot be described (EMSGSIZE).</summary>
    public const int Malformed = 90;

    /// <summary>Refused by an in-memory stand-in for the kernel whose queue was full (ENOBUFS).</summary>
    public const int NoBuffers = 105;
}
