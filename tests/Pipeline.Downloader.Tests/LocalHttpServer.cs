using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// Serves files, fixed statuses, redirects, bodies without a length, and requests it never answers, over http on a loopback address
/// and a free port. Also linked into the integration tests, which point a Downloader process at it.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    private HttpListener listener = new();
    private readonly ConcurrentDictionary<string, Answer[]> routes = new();
    private readonly ConcurrentDictionary<string, int> requests = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    /// <param name="address">A loopback address to listen on: 127.0.0.2 is another host to the Downloader's address policy.</param>
    public LocalHttpServer(string address = "127.0.0.1")
    {
        Address = address;
        // HttpListener cannot bind port 0: a free port is probed, and another process may take it before the listener
        // does (tests run side by side), so a taken one is probed again.
        for (var attempt = 1; ; attempt++)
        {
            using (var probe = new TcpListener(IPAddress.Parse(address), 0))
            {
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
            }

            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://{address}:{Port}/");
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener = new HttpListener();
            }
        }

        loop = Task.Run(ServeAsync);
    }

    public int Port { get; private set; }

    public string Address { get; }

    public string Url(string path) => $"http://{Address}:{Port}/{path}";

    public LocalHttpServer Serve(string path, byte[] body, int status = 200) => Route(path, new Answer(status, body));

    /// <summary>One answer per request, in this order; the last one for every request after.</summary>
    public LocalHttpServer ServeInTurn(string path, params (int Status, byte[] Body)[] answers) =>
        Route(path, [.. answers.Select(a => new Answer(a.Status, a.Body))]);

    /// <summary>A body sent in chunks with no Content-Length: only counting while reading finds its size.</summary>
    public LocalHttpServer ServeWithoutLength(string path, byte[] body) => Route(path, new Answer(200, body, Chunked: true));

    /// <summary>Announces <paramref name="length"/> bytes and sends only <paramref name="body"/>: only a client that trusts the header refuses it whole.</summary>
    public LocalHttpServer ServeAnnouncing(string path, long length, byte[] body) => Route(path, new Answer(200, body, AnnouncedLength: length));

    public LocalHttpServer Redirect(string path, string location, int status = 302) => Route(path, new Answer(status, [], Location: location));

    /// <summary>Announces the whole body and sends it one byte every <paramref name="interval"/>: a server that never quite stalls.</summary>
    public LocalHttpServer Trickle(string path, byte[] body, TimeSpan interval) => Route(path, new Answer(200, body, TrickleEvery: interval));

    /// <summary>Trickles the first request's body as <see cref="Trickle"/> does, and serves every later request whole.</summary>
    public LocalHttpServer TrickleOnce(string path, byte[] body, TimeSpan interval) =>
        Route(path, new Answer(200, body, TrickleEvery: interval), new Answer(200, body));

    /// <summary>Takes the request and never answers it (until the server is disposed): a server that hangs.</summary>
    public LocalHttpServer Stall(string path) => Route(path, new Answer(0, [], Stall: true));

    /// <summary>How many requests for <paramref name="path"/> have arrived: one per attempt of whoever fetches it.</summary>
    public int RequestCount(string path) => requests.GetValueOrDefault($"/{path}");

    private LocalHttpServer Route(string path, params Answer[] answers)
    {
        routes[$"/{path}"] = answers;
        return this;
    }

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

            // Each request on its own, so one that stalls holds up no other.
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        var count = requests.AddOrUpdate(path, 1, (_, seen) => seen + 1);
        var answers = routes.GetValueOrDefault(path, [new Answer(404, [])]);
        var answer = answers[Math.Min(count, answers.Length) - 1];
        try
        {
            if (answer.Stall)
            {
                await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                context.Response.Abort();
                return;
            }

            context.Response.StatusCode = answer.Status;
            if (answer.Location is not null)
            {
                context.Response.RedirectLocation = answer.Location;
            }

            if (answer.Chunked)
            {
                context.Response.SendChunked = true;
            }
            else
            {
                context.Response.ContentLength64 = answer.AnnouncedLength ?? answer.Body.Length;
            }

            if (answer.TrickleEvery is { } interval)
            {
                foreach (var b in answer.Body)
                {
                    await context.Response.OutputStream.WriteAsync(new[] { b }, stopping.Token);
                    await context.Response.OutputStream.FlushAsync(stopping.Token);
                    await Task.Delay(interval, stopping.Token);
                }
            }
            else
            {
                await context.Response.OutputStream.WriteAsync(answer.Body);
            }

            if (answer.AnnouncedLength > answer.Body.Length)
            {
                // Short of what was announced: the connection ends mid-body.
                context.Response.Abort();
                return;
            }

            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // The client went away first (it refused the body, or gave up waiting).
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
        stopping.Dispose();
    }

    private sealed record Answer(int Status, byte[] Body, bool Chunked = false, string? Location = null, bool Stall = false, long? AnnouncedLength = null, TimeSpan? TrickleEvery = null);
}
