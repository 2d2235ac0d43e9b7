using System.Net;

namespace Pipeline.Downloader.Http;

/// <summary>
/// Which addresses a dataset download may connect to. Loopback, private, link-local (cloud metadata), shared (CGNAT),
/// multicast and reserved addresses are refused, since a BeginTraining names any URL it likes and the Downloader sits
/// inside the deployment; <c>Downloader:AllowedNetworks</c> (CIDR ranges) opens what a deployment really serves from.
/// Judged on the address actually connected to, after DNS, so a name that resolves inside is refused like the address.
/// </summary>
public sealed class DatasetAddressPolicy
{
    private static readonly (IPNetwork Network, string Kind)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (cloud metadata)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved or broadcast"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::/96"), "reserved (IPv4-compatible)"),
        (IPNetwork.Parse("64:ff9b::/96"), "NAT64 (an IPv4 address behind it)"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private readonly IPNetwork[] allowed;

    public DatasetAddressPolicy(IEnumerable<string>? allowedNetworks)
    {
        allowed = [.. (allowedNetworks ?? []).Select(Parse)];
    }

    /// <summary>Why a download may not connect to <paramref name="address"/>, or null when it may.</summary>
    public string? RefusalOf(IPAddress address)
    {
        // ::ffff:169.254.169.254 reaches the same host as 169.254.169.254.
        var judged = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (allowed.Any(network => network.Contains(judged)))
        {
            return null;
        }

        foreach (var (network, kind) in Refused)
        {
            if (network.Contains(judged))
            {
                return $"{address} is a {kind} address (Downloader:AllowedNetworks opens a range)";
            }
        }

        return null;
    }

    private static IPNetwork Parse(string network) =>
        IPNetwork.TryParse(network.Trim(), out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Downloader:AllowedNetworks entry '{network}' is not a CIDR range such as 10.1.0.0/16 or fd00::/8.");
}
