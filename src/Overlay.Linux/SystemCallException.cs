using System.Runtime.InteropServices;

namespace Overlay.Linux;

/// <summary>
/// A setup-time system call failed (open, ioctl, bind, setns, a netlink request). The message names the operation,
/// its object (device, address, namespace) and the errno text. The packet path never throws this: it counts errors.
/// </summary>
public sealed class SystemCallException : Exception
{
    public SystemCallException(string operation, int errno, string? kernelMessage = null)
        : base(Format(operation, errno, kernelMessage))
    {
        Operation = operation;
        Errno = errno;
        KernelMessage = kernelMessage;
    }

    /// <summary>What was attempted, e.g. "bind UDP socket to 198.18.0.1:8285".</summary>
    public string Operation { get; }

    public int Errno { get; }

    /// <summary>The kernel's extended-ACK text for netlink failures, when it sent one.</summary>
    public string? KernelMessage { get; }

    /// <summary>Builds the exception from the errno the last P/Invoke left behind; call it right after the failure.</summary>
    internal static SystemCallException FromLastError(string operation) => new(operation, Marshal.GetLastPInvokeError());

    private static string Format(string operation, int errno, string? kernelMessage) =>
        kernelMessage is { Length: > 0 }
            ? $"{operation} failed: {Interop.Errno.Describe(errno)}: {kernelMessage}"
            : $"{operation} failed: {Interop.Errno.Describe(errno)}";
}
