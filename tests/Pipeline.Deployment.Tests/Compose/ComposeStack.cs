using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Deployment.Tests.Compose;

/// <summary>
/// The compose stack as <c>scripts/compose.sh demo</c> leaves it, a project of its own on ports of its own, its demo's
/// output kept; removed with its volumes afterwards.
/// </summary>
public sealed partial class ComposeStack : IDisposable
{
    public const int Detectors = 4;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(20);

    private readonly DirectoryInfo home = Directory.CreateTempSubdirectory("pipeline-compose-test-");

    public ComposeStack()
    {
        Environment = new Dictionary<string, string>
        {
            ["COMPOSE_PROJECT_NAME"] = "pipeline-test-" + Guid.NewGuid().ToString("N")[..8],
            ["PIPELINE_COMPOSE_ENV"] = Path.Combine(home.FullName, ".env"),
            ["DATASETS_FOLDER"] = Path.Combine(home.FullName, "datasets"),
            ["DETECTOR_REPLICAS"] = Detectors.ToString(),
            ["PIPELINE_COMPOSE_ITERATIONS"] = "100",
            // Ports of its own: the servers every other test shares hold the defaults.
            ["STATUS_API_PORT"] = FreePort().ToString(),
            ["RABBITMQ_PORT"] = FreePort().ToString(),
            ["RABBITMQ_MANAGEMENT_PORT"] = FreePort().ToString(),
            ["POSTGRES_PORT"] = FreePort().ToString(),
            ["DETECTOR_NODE_PORT"] = FreePort().ToString(),
        };
        try
        {
            var stopwatch = Stopwatch.StartNew();
            DemoOutput = Script("demo");
            DemoTime = stopwatch.Elapsed;
        }
        catch
        {
            Dispose();
            throw;
        }

        var secrets = File.ReadAllLines(Environment["PIPELINE_COMPOSE_ENV"]).Where(line => line.Contains('='))
            .Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
        StatusApi = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Environment["STATUS_API_PORT"]}/") };
        StatusApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secrets["STATUS_API_OPERATOR_TOKEN"]);
        Management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Environment["RABBITMQ_MANAGEMENT_PORT"]}/") };
        Management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"operator:{secrets["OPERATOR_PASSWORD"]}")));
    }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string DemoOutput { get; } = "";

    public TimeSpan DemoTime { get; }

    public HttpClient StatusApi { get; } = new();

    public HttpClient Management { get; } = new();

    public string Manifest => Path.Combine(Environment["DATASETS_FOLDER"], "shapes", "manifest.json");

    /// <summary>The id a 'pipeline begin' printed: the one line of the output that is a training id.</summary>
    public static Guid TrainingIdIn(string output) => Guid.Parse(TrainingIdLine().Matches(output).Select(m => m.Groups[1].Value).Single());

    public string Script(params string[] arguments) => RunToEnd(Path.Combine(ServiceCode.Root, "scripts", "compose.sh"), arguments);

    public string Compose(params string[] arguments) => RunToEnd("docker-compose", ["--env-file", Environment["PIPELINE_COMPOSE_ENV"], .. arguments]);

    /// <summary>The containers of one service, by id.</summary>
    public string[] Containers(string service) => Compose("ps", "-q", service).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async Task<JsonNode> TrainingAsync(Guid id) => JsonNode.Parse(await StatusApi.GetStringAsync($"trainings/{id}"))!;

    /// <summary>Each queue that holds messages in its _error companion, with how many.</summary>
    public async Task<string[]> ErrorQueuesHoldingMessagesAsync() =>
        JsonNode.Parse(await Management.GetStringAsync("api/queues"))!.AsArray()
            .Where(queue => queue!["name"]!.GetValue<string>().EndsWith("_error") && queue["messages"]?.GetValue<int>() > 0)
            .Select(queue => $"{queue!["name"]}: {queue["messages"]}").ToArray();

    /// <summary>How many consumers a queue of the stack's broker has.</summary>
    public async Task<int> ConsumersAsync(string queue) =>
        JsonNode.Parse(await Management.GetStringAsync($"api/queues/%2F/{queue}"))!["consumers"]?.GetValue<int>() ?? 0;

    /// <summary>A command to its end within the limit, in the stack's environment: its standard output.</summary>
    public string RunToEnd(string file, params string[] arguments) => ServiceCode.Run(file, arguments, Environment, Limit);

    public void Dispose()
    {
        try
        {
            Script("down");
        }
        finally
        {
            StatusApi.Dispose();
            Management.Dispose();
            home.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", RegexOptions.Multiline)]
    private static partial Regex TrainingIdLine();
}
