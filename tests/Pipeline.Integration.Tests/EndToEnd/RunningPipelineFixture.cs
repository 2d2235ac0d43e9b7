using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Hosting.Messaging;
using Pipeline.Artifacts;
using Pipeline.Messaging;
using Pipeline.Storage;
using Pipeline.Integration.Tests.Outages;

namespace Pipeline.Integration.Tests.EndToEnd;

[CollectionDefinition(Name)]
public sealed class RunningPipelineCollection : ICollectionFixture<RunningPipelineFixture>
{
    public const string Name = "running pipeline";
}

/// <summary>
/// The Orchestrator, Downloader and Uploader, each as its own process built from services/, on the real RabbitMQ and
/// PostgreSQL (a virtual host and schema of their own), plus the training and detection replies from this process;
/// or, with <c>realWorkers</c>, the real Trainer and two Detector processes instead of those replies. On the servers
/// scripts/infra.sh made, each service logs in with its own accounts, as in production.
/// </summary>
public sealed class RunningPipelineFixture : IAsyncLifetime
{
    /// <summary>Images per DetectImages when the real Detectors run: small, so two replicas share many batches.</summary>
    public const int RealDetectionBatchSize = 2;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ServiceProcess> services = [];
    private readonly bool realWorkers;
    private readonly string? postgresConnectionString;
    private readonly IReadOnlyDictionary<string, string> extraSettings;
    private IHost? stageHost;
    private readonly Dictionary<string, Dictionary<string, string>> serviceEnvironments = [];

    public RunningPipelineFixture()
        : this(realWorkers: false)
    {
    }

    internal RunningPipelineFixture(
        bool realWorkers, string? postgresConnectionString = null, IReadOnlyDictionary<string, string>? extraSettings = null, PrivateRabbitMq? broker = null)
    {
        this.realWorkers = realWorkers;
        this.postgresConnectionString = postgresConnectionString;
        this.extraSettings = extraSettings ?? new Dictionary<string, string>();
        Infrastructure = new InfrastructureFixture(broker);
    }

    public InfrastructureFixture Infrastructure { get; }

    public string ArtifactRoot { get; } = Directory.CreateTempSubdirectory("pipeline-e2e-artifacts-").FullName;

    public string WorkFolder { get; } = Directory.CreateTempSubdirectory("pipeline-e2e-").FullName;

    /// <summary>StatusApi:OperatorTokens of this pipeline's Orchestrator: reads and acts (<see cref="Api"/> sends it).</summary>
    public string ActionToken { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Where the Downloader's Prometheus listener answers (Metrics:PrometheusPort), on 127.0.0.1.</summary>
    public int DownloaderMetricsPort { get; } = ServiceProcess.FreePort();

    /// <summary>Where the first real Trainer's Prometheus listener answers, on 127.0.0.1.</summary>
    public int TrainerMetricsPort { get; } = ServiceProcess.FreePort();

    /// <summary>StatusApi:ViewerTokens of this pipeline's Orchestrator: reads only.</summary>
    public string ViewerToken { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The services that have died since the fixture started them (a test that stops one on purpose removes it from <see cref="Services"/>).</summary>
    public IReadOnlyList<string> ExitedServices => [.. services.Where(s => s.HasExited).Select(s => s.Name)];

    /// <summary>Forgets a service a test stopped on purpose, so it counts neither as exited nor as running.</summary>
    public void Forget(ServiceProcess service) => services.Remove(service);

    public HttpClient Api { get; private set; } = new();

    public IArtifactStore Artifacts { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Services => services;

    /// <summary>
    /// The queues that this process's bus, or a running service by its log, has stopped consuming and not consumed again
    /// since (ReceiveEndpointWatch's view, which holds the temporary and cleanup queues a test does not name too).
    /// </summary>
    public IReadOnlyList<string> LostQueues()
    {
        var lost = stageHost!.Services.GetRequiredService<ReceiveEndpointWatch>().Lost
            .Select(queue => $"e2e-stages {queue.Endpoint.InputAddress.QueueName()}").ToList();
        foreach (var service in services.Where(s => !s.HasExited))
        {
            var output = service.Output;
            var again = Regex.Matches(output, @"(\S+): consuming again").GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
            lost.AddRange(Regex.Matches(output, @"(\S+): stopped consuming").GroupBy(m => m.Groups[1].Value)
                .Where(stopped => stopped.Count() > again.GetValueOrDefault(stopped.Key))
                .Select(stopped => $"{service.Name} {stopped.Key}"));
        }

        return lost;
    }

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        var apiUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var settings = Infrastructure.ServiceSettings();
        settings["Marten:Schema"] = Infrastructure.NewSchema("e2e");
        if (postgresConnectionString is not null)
        {
            settings["ConnectionStrings:Postgres"] = postgresConnectionString;
        }

        foreach (var (key, value) in extraSettings)
        {
            settings[key] = value;
        }

        settings["Artifacts:Root"] = ArtifactRoot;
        settings["Watchdog:Interval"] = "00:00:01";
        // The hostile-input tests' dataset server: 127.0.0.2 is opened, 127.0.0.1 (where the servers are) is not.
        settings["Downloader:AllowedNetworks:0"] = "127.0.0.2/32";
        settings["Downloader:HttpTimeout"] = "00:00:03";
        // Every request to the status API needs a token, actions an operator's; Api sends it, as a user's tool would.
        settings["StatusApi:OperatorTokens:0"] = ActionToken;
        settings["StatusApi:ViewerTokens:0"] = ViewerToken;
        // Fail fast: bad input is not retried anyway, and transient faults get two quick tries.
        settings["Retry:Limit"] = "2";
        settings["Retry:MaxInterval"] = "00:00:00.500";
        if (realWorkers)
        {
            settings["Detection:BatchSize"] = RealDetectionBatchSize.ToString();
        }

        var logs = Path.Combine(WorkFolder, "logs");
        if (Infrastructure.HasServiceAccounts && postgresConnectionString is null)
        {
            // As the local runner and docker-compose do: the schema's owner applies the tables and the grants, once,
            // before the services that may only use them start.
            var owner = EnvironmentOf(settings);
            await ServiceProcess.RunVerbAsync("Orchestrator", ServiceVerbs.ApplySchema, owner, logs, StartTimeout);
            await ServiceProcess.RunVerbAsync("Uploader", ServiceVerbs.ApplySchema, owner, logs, StartTimeout);
        }

        foreach (var service in (string[])["Orchestrator", "Downloader", "Uploader", "Trainer", "Detector"])
        {
            serviceEnvironments[service] = await ServiceEnvironmentAsync(service, settings);
        }

        serviceEnvironments["Orchestrator"]["Urls"] = apiUrl;
        // A worker serves no HTTP: its metrics have a Prometheus listener of their own.
        serviceEnvironments["Downloader"]["Metrics__PrometheusPort"] = DownloaderMetricsPort.ToString();
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["Trainer__Device"] = "cpu", ["Trainer__ModelWidth"] = "8", ["Trainer__ProgressInterval"] = "00:00:00.500",
            ["Trainer__EvaluateEvery"] = "10", ["Trainer__CheckpointEvery"] = "10",
        })
        {
            serviceEnvironments["Trainer"][key] = value;
        }

        serviceEnvironments["Detector"]["Detector__Device"] = "cpu";
        serviceEnvironments["Detector"]["Detector__Threads"] = "1";
        StartService("Orchestrator", "orchestrator");
        StartService("Downloader", "downloader");
        StartService("Uploader", "uploader");
        if (realWorkers)
        {
            // Only the first Trainer listens: one started beside it would find the port taken.
            StartService("Trainer", "trainer", new Dictionary<string, string> { ["Metrics__PrometheusPort"] = TrainerMetricsPort.ToString() });
            StartService("Detector", "detector-1");
            StartService("Detector", "detector-2");
        }

        Api = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(10) };
        Api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ActionToken);

        // This process's bus (the stand-in stages, the sender of BeginTraining) logs beside the services' logs, so a queue of
        // its that stops consuming can be read after the fact as theirs can.
        stageHost = StartStageReplies(new Dictionary<string, string?>(settings) { ["Logs:Folder"] = Path.Combine(WorkFolder, "logs") }, realWorkers);
        await stageHost.StartAsync();
        Artifacts = stageHost.Services.GetRequiredService<IArtifactStore>();

        await WaitUntil("the Orchestrator's status API is ready", async () =>
        {
            try
            {
                return (await Api.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, StartTimeout);
        // Exactly as many consumers as this fixture started, each of a process still alive: the virtual host is this run's
        // own, so no other process consumes there, and a service that died on its way up fails the wait with its output
        // instead of counting (the broker drops a dead process's consumer once it sees the connection go).
        var consumers = new Dictionary<string, int>
        {
            [StageQueues.Training] = 1, [StageQueues.DownloadTrainingData] = 1, [StageQueues.UploadModel] = 1, [StageQueues.UploadDetections] = 1,
        };
        if (realWorkers)
        {
            consumers[StageQueues.TrainModel] = 1;
            consumers[StageQueues.DetectImages] = 2;
        }

        foreach (var (queue, count) in consumers)
        {
            await WaitUntil($"queue {queue} has {count} consumer(s)", async () =>
            {
                if (services.FirstOrDefault(s => s.HasExited) is { } exited)
                {
                    throw new InvalidOperationException($"{exited.Name} exited while the pipeline started:\n{exited.Output}");
                }

                return (await Infrastructure.QueueCountsAsync(queue))?.Consumers == count;
            }, StartTimeout);
        }
    }

    /// <summary>A service's process more (or one started again under a new name), configured as this fixture's first.</summary>
    public ServiceProcess StartService(string project, string name, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string>(serviceEnvironments[project]);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var process = ServiceProcess.Start(project, name, environment, Path.Combine(WorkFolder, "logs"));
        services.Add(process);
        return process;
    }

    /// <summary>A real Trainer process more (or one started again under a new name), configured as this fixture's first.</summary>
    public ServiceProcess StartTrainer(string name) => StartService("Trainer", name);

    public async Task DisposeAsync()
    {
        foreach (var service in services)
        {
            await service.DisposeAsync();
        }

        if (stageHost is not null)
        {
            // Bounded: a bus that lost its broker for good would otherwise hold the run's end.
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await stageHost.StopAsync(bound.Token);
            stageHost.Dispose();
        }

        await Infrastructure.DisposeAsync();
        Api.Dispose();
        Directory.Delete(ArtifactRoot, recursive: true);
    }

    public async Task<Guid> BeginAsync(string datasetUri, Action<BeginTrainingOptions>? configure = null)
    {
        var options = new BeginTrainingOptions();
        configure?.Invoke(options);
        var trainingId = options.TrainingId ?? NewId.NextGuid();
        var endpoint = await stageHost!.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(StageSendConventions.Address(StageQueues.Training));
        await endpoint.Send(new BeginTraining
        {
            TrainingId = trainingId,
            Organization = options.Organization,
            Project = options.Project,
            DatasetUri = datasetUri,
            DatasetSha256 = options.DatasetSha256,
            Hyperparameters = new Hyperparameters { Iterations = options.Iterations, Resolution = options.Resolution },
            BaseModelId = options.BaseModelId,
        });
        return trainingId;
    }

    /// <summary>Sends a command to a queue as the Orchestrator's relay would (a copy of one it sent, say).</summary>
    public async Task SendAsync<T>(string queue, T message)
        where T : class
    {
        var endpoint = await stageHost!.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(StageSendConventions.Address(queue));
        await endpoint.Send(message);
    }

    /// <summary>Polls the status API until the training reaches one of the states, failing with its whole story if it does not.</summary>
    public async Task<TrainingDetails> WaitForStateAsync(Guid trainingId, TimeSpan timeout, params string[] states)
    {
        TrainingDetails? last = null;
        try
        {
            await WaitUntil($"training {trainingId} reaches {string.Join(" or ", states)}", async () =>
            {
                using var response = await Api.GetAsync($"/trainings/{trainingId}");
                last = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<TrainingDetails>(ApiJson.Options) : null;
                return last is not null && states.Contains(last.State);
            }, timeout);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message} Last seen: {last?.State ?? "nothing"}, errors: " +
                $"{string.Join("; ", last?.Errors.Select(e => $"{e.Key}: {e.Value}") ?? [])}. Logs in {Path.Combine(WorkFolder, "logs")}.", exception);
        }

        return last!;
    }

    public static async Task WaitUntil(string what, Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting after {timeout.TotalSeconds:0} s until {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// A service's environment: this fixture's settings, and on the servers scripts/infra.sh made, the service's own
    /// accounts in place of the operator's and the owner's (a private server of one test's own has only its administrator;
    /// a private PostgreSQL's tables are then the services' own to create).
    /// </summary>
    private async Task<Dictionary<string, string>> ServiceEnvironmentAsync(string service, Dictionary<string, string?> settings)
    {
        var own = new Dictionary<string, string?>(settings);
        if (Infrastructure.HasServiceAccounts)
        {
            var account = await Infrastructure.OwnAccountSettingsAsync(service.ToLowerInvariant());
            if (postgresConnectionString is not null)
            {
                account.Remove($"ConnectionStrings:{MartenConfiguration.ConnectionStringName}");
                account.Remove(MartenConfiguration.AutoCreateSetting);
            }

            foreach (var (key, value) in account)
            {
                own[key] = value;
            }
        }

        return EnvironmentOf(own);
    }

    private static Dictionary<string, string> EnvironmentOf(Dictionary<string, string?> settings) =>
        settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);

    private static IHost StartStageReplies(Dictionary<string, string?> settings, bool realWorkers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPipelineDefaults("e2e-stages", bus =>
        {
            // With the real workers running, this process only sends BeginTraining and reads the artifact store.
            if (!realWorkers)
            {
                // As the real workers' definitions do: a late copy of a command of an ended training is acknowledged, not run.
                bus.AddConsumer<InstantTrainModelConsumer>((context, consumer) => consumer.SkipCommandsOfEndedTrainings<InstantTrainModelConsumer, TrainModel>(context))
                    .Endpoint(e => e.Name = StageQueues.TrainModel);
                bus.AddConsumer<InstantDetectImagesConsumer>((context, consumer) => consumer.SkipCommandsOfEndedTrainings<InstantDetectImagesConsumer, DetectImages>(context))
                    .Endpoint(e => e.Name = StageQueues.DetectImages);
            }
        });
        return builder.Build();
    }

}

public sealed class BeginTrainingOptions
{
    public Guid? TrainingId { get; set; }

    public string Organization { get; set; } = "e2e";
    public string Project { get; set; } = "shapes";
    public string? DatasetSha256 { get; set; }
    public int Iterations { get; set; } = 10;
    public int Resolution { get; set; } = 48;
    public Guid? BaseModelId { get; set; }
}
