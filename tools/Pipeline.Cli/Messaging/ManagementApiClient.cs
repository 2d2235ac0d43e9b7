using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pipeline.Messaging;

namespace Pipeline.Cli.Messaging;

public sealed record QueueDepth(string Name, bool Exists, long Ready, long Unacknowledged, int Consumers);

/// <summary>Queue depths from RabbitMQ's management API (GET /api/queues/{vhost}/{name}).</summary>
public sealed class ManagementApiClient : IDisposable
{
    private readonly HttpClient http;
    private readonly RabbitMqSettings settings;

    public ManagementApiClient(RabbitMqSettings settings)
    {
        this.settings = settings;
        var root = settings.ManagementUrl.TrimEnd('/') + "/";
        http = new HttpClient { BaseAddress = new Uri(root), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}")));
    }

    public async Task<QueueDepth> GetQueueAsync(string name, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(
                $"api/queues/{Uri.EscapeDataString(settings.VirtualHost)}/{Uri.EscapeDataString(name)}", cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliException(
                $"RabbitMQ's management API at {settings.ManagementUrl} does not answer ({ex.Message}). Start RabbitMQ with 'scripts/infra.sh up'.",
                ExitCodes.ServerUnavailable);
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound:
                    return new QueueDepth(name, false, 0, 0, 0);
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    throw new CliException(
                        $"RabbitMQ's management API at {settings.ManagementUrl} refused user '{settings.Username}' " +
                        "(it needs the administrator or monitoring tag; 'scripts/infra.sh up' sets it).", ExitCodes.ServerUnavailable);
            }

            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = document.RootElement;
            return new QueueDepth(name, true, Long(root, "messages_ready"), Long(root, "messages_unacknowledged"), (int)Long(root, "consumers"));
        }
    }

    // A queue declared a moment ago has no statistics yet: absent counters count as zero.
    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    public void Dispose() => http.Dispose();
}
