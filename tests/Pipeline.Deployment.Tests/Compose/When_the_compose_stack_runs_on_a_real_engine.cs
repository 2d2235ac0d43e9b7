using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Pipeline.Deployment.Tests.Compose;

/// <summary>
/// <c>scripts/compose.sh demo</c> on a real Docker engine, as a user runs it on a fresh machine: the engine, the images
/// from services/Dockerfile (on stand-in base images made from Debian's packages, since no registry answers here), every
/// service and both servers in containers of their own, four Detectors, and a training through every stage to
/// Completed. The stack runs as a project of its own, on ports of its own, and is removed with its volumes afterwards.
/// scripts/test.sh runs this class after the rest of the suite, alone (Category=Engine): it builds images and trains.
/// </summary>
[Trait("Category", "Engine")]
public sealed class When_the_compose_stack_runs_on_a_real_engine(ITestOutputHelper output) : IDisposable
{
    private const int Detectors = 4;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(20);

    private readonly string project = "pipeline-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly DirectoryInfo home = Directory.CreateTempSubdirectory("pipeline-compose-test-");
    private readonly int statusApiPort = FreePort();

    private Dictionary<string, string> Environment => new()
    {
        ["COMPOSE_PROJECT_NAME"] = project,
        ["PIPELINE_COMPOSE_ENV"] = Path.Combine(home.FullName, ".env"),
        ["DATASETS_FOLDER"] = Path.Combine(home.FullName, "datasets"),
        ["DETECTOR_REPLICAS"] = Detectors.ToString(),
        ["PIPELINE_COMPOSE_ITERATIONS"] = "100",
        // Ports of its own: the servers every other test shares hold the defaults.
        ["STATUS_API_PORT"] = statusApiPort.ToString(),
        ["RABBITMQ_PORT"] = FreePort().ToString(),
        ["RABBITMQ_MANAGEMENT_PORT"] = FreePort().ToString(),
        ["POSTGRES_PORT"] = FreePort().ToString(),
        ["DETECTOR_NODE_PORT"] = FreePort().ToString(),
    };

    [Fact]
    public async Task A_training_completes_in_containers_its_detections_shared_by_the_detectors_and_the_dashboard_answers_the_host()
    {
        var environment = Environment;
        var stopwatch = Stopwatch.StartNew();
        var demo = Script(environment, "demo");
        output.WriteLine($"scripts/compose.sh demo: {stopwatch.Elapsed:mm\\:ss}");
        output.WriteLine(demo);

        var trainingId = Regex.Matches(demo, @"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Single();
        Assert.Contains("Completed", demo);

        // Every service and both servers in containers of their own, the Detectors scaled.
        var running = Compose(environment, "ps", "--services", "--filter", "status=running").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["detector", "detectornode", "downloader", "orchestrator", "postgres", "rabbitmq", "trainer", "uploader"], running.Order());
        var detectors = Compose(environment, "ps", "-q", "detector").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Detectors, detectors.Length);

        // The batches shared out over the Detectors, each detected once.
        var batchesPerDetector = detectors.Select(container => Regex.Matches(
                RunToEnd(environment, "docker", "logs", container), $@"Detected batch (\d+) of (\d+) of {trainingId}")
            .Select(m => (Index: int.Parse(m.Groups[1].Value), Count: int.Parse(m.Groups[2].Value))).ToList()).ToList();
        var batches = batchesPerDetector.SelectMany(b => b).ToList();
        output.WriteLine($"batches per Detector: {string.Join(", ", batchesPerDetector.Select(b => b.Count))}");
        Assert.NotEmpty(batches);
        Assert.Equal(Enumerable.Range(0, batches[0].Count), batches.Select(b => b.Index).Order());
        Assert.True(batchesPerDetector.Count(b => b.Count > 0) > 1, "one Detector detected every batch: the queue was not shared.");

        // The dashboard, from the host, on the published port: its login page.
        using var http = new HttpClient();
        var login = await http.GetAsync($"http://127.0.0.1:{statusApiPort}/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("<form", await login.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        try
        {
            output.WriteLine(Script(Environment, "down"));
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static string Script(IReadOnlyDictionary<string, string> environment, string verb) =>
        RunToEnd(environment, Path.Combine(ServiceCode.Root, "scripts", "compose.sh"), verb);

    private static string Compose(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunToEnd(environment, "docker-compose", ["--env-file", environment["PIPELINE_COMPOSE_ENV"], .. arguments]);

    /// <summary>A command to its end within the limit, standard output and error together; fails the test unless it exits 0.</summary>
    private static string RunToEnd(IReadOnlyDictionary<string, string> environment, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ServiceCode.Root,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var text = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, line) => { lock (text) { text.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (text) { text.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', arguments)} ran past {Limit}:\n{text}");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text.ToString();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
