using System.Net;
using System.Net.Sockets;

namespace Pipeline.Downloader.Http;

/// <summary>
/// The handler every dataset download goes through: it resolves the host itself and connects only to addresses the
/// <see cref="DatasetAddressPolicy"/> accepts, for the first request and for every redirect hop (which
/// <see cref="Datasets.DatasetSource"/> follows itself, so each hop is checked before it is requested).
/// </summary>
public static class DatasetHttpHandler
{
    public static SocketsHttpHandler Create(DownloaderSettings settings)
    {
        var policy = new DatasetAddressPolicy(settings.AllowedNetworks);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // A proxy would connect on our behalf, to an address this handler never sees.
            UseProxy = false,
            ConnectTimeout = settings.ConnectTimeout,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(policy, context.DnsEndPoint, cancellationToken),
        };
    }

    private static async ValueTask<Stream> ConnectAsync(DatasetAddressPolicy policy, DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken);
        var judged = addresses.Select(address => (Address: address, Refusal: policy.RefusalOf(address))).ToList();
        var refusals = judged.Select(j => j.Refusal).OfType<string>().ToList();
        var permitted = judged.Where(j => j.Refusal is null).Select(j => j.Address).ToList();
        if (permitted.Count == 0)
        {
            throw new RefusedAddressException(endPoint.Host, refusals.Count > 0 ? refusals : ["it resolves to no address"]);
        }

        SocketException? last = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                // The next address of the host may answer, as the default handler would try it.
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}
