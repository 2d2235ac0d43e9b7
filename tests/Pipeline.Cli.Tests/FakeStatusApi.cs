using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Cli.Tests;

/// <summary>A stand-in for the Orchestrator's status API: canned JSON per path, 404 for anything else.</summary>
internal sealed class FakeStatusApi : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, string> responses;

    public FakeStatusApi(Dictionary<string, string> responses)
    {
        this.responses = responses;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }

        listener.Prefixes.Add(Url);
        listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }

            var found = responses.TryGetValue(context.Request.Url!.AbsolutePath.TrimStart('/'), out var body);
            context.Response.StatusCode = found ? 200 : 404;
            context.Response.ContentType = found ? "application/json" : "application/problem+json";
            var bytes = Encoding.UTF8.GetBytes(found ? body! : """{"title":"Unknown training","status":404}""");
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose() => listener.Close();
}
