namespace Overlay.DataPlane.Capture;

/// <summary>Which way a captured packet was travelling through the overlay.</summary>
public enum CaptureDirection : byte
{
    /// <summary>Read from the TUN device, bound for a peer over UDP.</summary>
    Outbound = 0,

    /// <summary>Received from a peer over UDP, bound for the TUN device.</summary>
    Inbound = 1,
}
