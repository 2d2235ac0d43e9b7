using System.Net.Sockets;

namespace Pipeline.Cli.Infrastructure;

/// <summary>Whether a TCP port answers at all: lets a command say which server is down before a client library retries for a minute.</summary>
public static class ServerProbe
{
    public static async Task<bool> AnswersAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(host, port, bounded.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
