using System.Text.RegularExpressions;
using Overlay.Daemon.Options;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// Picks the external interface as flanneld does: each -iface (IP or name) in order, then each -iface-regex
/// (against addresses, then names), else the interface owning -public-ip, else the default route's interface.
/// </summary>
internal static class InterfaceSelector
{
    public static SelectedInterface Select(DaemonOptions options, IReadOnlyList<HostInterface> interfaces, string? defaultRouteInterface)
    {
        uint? publicIp = options.PublicIp is { } ip ? Ipv4.Parse(ip.ToString()) : null;
        (HostInterface Interface, uint Address)? chosen = null;

        foreach (string wanted in options.Interfaces)
        {
            chosen = Ipv4.TryParse(wanted, out uint address) ? ByAddress(interfaces, address) : ByName(interfaces, wanted);
            if (chosen is not null)
            {
                break;
            }
        }
        if (chosen is null && options.Interfaces.Count > 0 && options.InterfaceRegexes.Count == 0)
        {
            throw new InterfaceSelectionException(
                $"no interface matches -iface={string.Join(",", options.Interfaces)}: give an interface name or one of its IPv4 addresses ({Describe(interfaces)})");
        }

        if (chosen is null)
        {
            foreach (Regex regex in options.InterfaceRegexes)
            {
                chosen = ByRegex(interfaces, regex);
                if (chosen is not null)
                {
                    break;
                }
            }
            if (chosen is null && options.InterfaceRegexes.Count > 0)
            {
                throw new InterfaceSelectionException(
                    $"no interface address or name matches -iface-regex ({Describe(interfaces)})");
            }
        }

        if (chosen is null && publicIp is { } owned)
        {
            chosen = ByAddress(interfaces, owned) ?? throw new InterfaceSelectionException(
                $"no local interface owns -public-ip={Ipv4.Format(owned)}: name the interface to use with -iface ({Describe(interfaces)})");
        }

        if (chosen is null)
        {
            if (defaultRouteInterface is null)
            {
                throw new InterfaceSelectionException(
                    $"there is no IPv4 default route to pick an interface from: name one with -iface ({Describe(interfaces)})");
            }
            chosen = ByName(interfaces, defaultRouteInterface) ?? throw new InterfaceSelectionException(
                $"the default route's interface {defaultRouteInterface} has no IPv4 address: name another with -iface");
        }

        (HostInterface selected, uint interfaceAddress) = chosen.Value;
        if (selected.Mtu <= 0)
        {
            throw new InterfaceSelectionException($"interface {selected.Name} reports MTU {selected.Mtu}: cannot derive the overlay MTU");
        }
        return new SelectedInterface(selected, interfaceAddress, publicIp ?? interfaceAddress);
    }

    private static (HostInterface, uint)? ByAddress(IReadOnlyList<HostInterface> interfaces, uint address)
    {
        foreach (HostInterface candidate in interfaces)
        {
            if (candidate.Addresses.Contains(address))
            {
                return (candidate, address);
            }
        }
        return null;
    }

    private static (HostInterface, uint)? ByName(IReadOnlyList<HostInterface> interfaces, string name)
    {
        foreach (HostInterface candidate in interfaces)
        {
            if (candidate.Name == name && candidate.Addresses.Count > 0)
            {
                return (candidate, candidate.Addresses[0]);
            }
        }
        return null;
    }

    private static (HostInterface, uint)? ByRegex(IReadOnlyList<HostInterface> interfaces, Regex regex)
    {
        foreach (HostInterface candidate in interfaces)
        {
            foreach (uint address in candidate.Addresses)
            {
                if (regex.IsMatch(Ipv4.Format(address)))
                {
                    return (candidate, address);
                }
            }
        }
        foreach (HostInterface candidate in interfaces)
        {
            if (candidate.Addresses.Count > 0 && regex.IsMatch(candidate.Name))
            {
                return (candidate, candidate.Addresses[0]);
            }
        }
        return null;
    }

    private static string Describe(IReadOnlyList<HostInterface> interfaces) =>
        "interfaces here: " + string.Join(", ", interfaces.Select(i =>
            i.Addresses.Count == 0 ? i.Name : $"{i.Name} {string.Join(" ", i.Addresses.Select(Ipv4.Format))}"));
}

/// <summary>No usable external interface: flanneld exits 1 here, and so does overlayd.</summary>
internal sealed class InterfaceSelectionException(string message) : Exception(message);
