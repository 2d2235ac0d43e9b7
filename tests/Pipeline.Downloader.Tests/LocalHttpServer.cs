using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Downloader.Tests;

/// <summary>Serves files (or a fixed status) over http://127.0.0.1 on a free port.</summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, (int Status, byte[] Body)> routes = new();
    private readonly ConcurrentDictionary<string, int> requests = new();
    private readonly Task loop;

    public LocalHttpServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public LocalHttpServer Serve(string path, byte[] body, int status = 200)
    {
        routes[$"/{path}"] = (status, body);
        return this;
    }

    /// <summary>How many requests for <paramref name="path"/> have been answered: one per attempt of whoever fetches it.</summary>
    public int RequestCount(string path) => requests.GetValueOrDefault($"/{path}");

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath;
            requests.AddOrUpdate(path, 1, (_, count) => count + 1);
            var (status, body) = routes.GetValueOrDefault(path, (404, []));
            context.Response.StatusCode = status;
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
