using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Artifacts;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Vision.Training;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>The Trainer and Detector as their own processes on the real RabbitMQ, driven by their commands and watched through their events.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_Trainer_and_Detector_run_as_processes(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] WorkerQueues = [StageQueues.TrainModel, StageQueues.DetectImages];
    private readonly List<ServiceProcess> processes = [];
    private readonly string root = Directory.CreateTempSubdirectory("pipeline-workers-").FullName;
    private IHost host = null!;

    private WorkerEvents Events => host.Services.GetRequiredService<WorkerEvents>();

    private IArtifactStore Store => host.Services.GetRequiredService<IArtifactStore>();

    [Fact]
    public async Task A_training_reports_progress_and_metrics_and_writes_a_checkpoint_and_a_verified_model()
    {
        await StartTrainerAsync("trainer");
        var command = TrainModel(Guid.NewGuid(), iterations: 20);

        await host.Services.GetRequiredService<ISendEndpointProvider>().Send(command);
        var trained = await WaitForAsync<ModelTrained>(m => m.TrainingId == command.TrainingId);

        Assert.True(Events.Of<TrainingProgressed>(p => p.TrainingId == command.TrainingId).Count >= 2);
        Assert.NotEmpty(Events.Of<TrainingMetricsImproved>(m => m.TrainingId == command.TrainingId));
        Assert.Equal(20, trained.Metrics.Iteration);
        Assert.Contains(Store.List(ArtifactKeys.Checkpoints(command.TrainingId)), key => key.EndsWith("/checkpoint.json"));
        var description = await Store.ReadDescriptionAsync(trained.ModelKey);
        Assert.NotEmpty(description.Files);
        foreach (var file in description.Files)
        {
            Assert.Equal(file.Sha256, (await Store.DescribeAsync($"{trained.ModelKey}/{file.Name}")).Sha256);
        }
    }

    [Fact]
    public async Task Cancelling_stops_a_training_long_before_its_end_and_frees_the_Trainer_for_the_next_command()
    {
        var trainer = await StartTrainerAsync("trainer");
        var send = host.Services.GetRequiredService<ISendEndpointProvider>();
        var command = TrainModel(Guid.NewGuid(), iterations: 100_000);
        var behind = TrainModel(Guid.NewGuid(), iterations: 5);
        await send.Send(command);
        await WaitForAsync<TrainingProgressed>(p => p.TrainingId == command.TrainingId);
        // Queued behind the long one: one training per device, so it runs only once the cancelled one lets go.
        await send.Send(behind);

        await host.Services.GetRequiredService<IBus>().Publish(new TrainingCancelled { TrainingId = command.TrainingId, Reason = "test" });

        await RunningPipelineFixture.WaitUntil("the Trainer stops the training",
            () => Task.FromResult(trainer.Output.Contains($"Training {command.TrainingId} (attempt 1) stopped: it was cancelled")), Timeout);
        await WaitForAsync<ModelTrained>(m => m.TrainingId == behind.TrainingId);
        // How long the stop took depends on how busy the machine is; that it ended far from its last iteration does not.
        Assert.True(Events.Of<TrainingProgressed>(p => p.TrainingId == command.TrainingId).Max(p => p.Iteration) < command.Hyperparameters.Iterations / 10);
        Assert.Empty(Events.Of<ModelTrained>(m => m.TrainingId == command.TrainingId));
        Assert.Empty(Events.Of<Fault<TrainModel>>(f => f.Message.TrainingId == command.TrainingId));
    }

    [Fact]
    public async Task A_killed_Trainer_started_again_resumes_from_the_checkpoints_iteration()
    {
        var first = await StartTrainerAsync("trainer-first");
        var command = TrainModel(Guid.NewGuid(), iterations: 100_000);
        await host.Services.GetRequiredService<ISendEndpointProvider>().Send(command);
        await RunningPipelineFixture.WaitUntil("a checkpoint is written", () => Task.FromResult(
            Store.List(ArtifactKeys.Checkpoints(command.TrainingId)).Any(key => key.EndsWith("/checkpoint.json"))), Timeout);
        await WaitForAsync<TrainingProgressed>(p => p.TrainingId == command.TrainingId && p.Iteration > 12);

        first.Kill();
        await RunningPipelineFixture.WaitUntil("the broker sees the killed Trainer go",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Consumers == 0, Timeout);
        // What the dead Trainer left on disk is the truth; its last progress events may still be on their way here.
        var checkpointed = NewestCheckpointIteration(command.TrainingId);
        var secondStartedAt = DateTime.UtcNow;
        var second = await StartTrainerAsync("trainer-second");
        var resumed = await WaitForAsync<TrainingProgressed>(p => p.TrainingId == command.TrainingId, since: secondStartedAt);
        // Its stdout is piped asynchronously: the line may arrive after the event it preceded.
        await WaitForOutputAsync(second, "Resuming training");

        Assert.Contains($"from its checkpoint at iteration {checkpointed} ", second.Output);
        Assert.True(checkpointed >= 10, $"the newest checkpoint is at iteration {checkpointed}");
        Assert.Equal(checkpointed + 1, resumed.Iteration);
        Assert.Equal(command.Attempt, resumed.Attempt);
        await host.Services.GetRequiredService<IBus>().Publish(new TrainingCancelled { TrainingId = command.TrainingId });
        await RunningPipelineFixture.WaitUntil("the resumed training stops",
            () => Task.FromResult(second.Output.Contains("stopped: it was cancelled")), Timeout);
    }

    [Fact]
    public async Task A_command_its_Trainer_died_on_three_times_faults_and_the_training_behind_it_runs()
    {
        // The error queue is shared with the other tests of this class; count only what this one faults.
        await infrastructure.PurgeAsync($"{StageQueues.TrainModel}_error");
        var send = host.Services.GetRequiredService<ISendEndpointProvider>();
        var poison = TrainModel(Guid.NewGuid(), iterations: 100_000);
        var behind = TrainModel(Guid.NewGuid(), iterations: 10);
        await send.Send(poison);
        await send.Send(behind);

        // Each Trainer takes the command at the head of the queue and dies on it (SIGKILL), as out of memory would.
        for (var crash = 1; crash <= 3; crash++)
        {
            var trainer = await StartTrainerAsync($"trainer-crash-{crash}");
            await RunningPipelineFixture.WaitUntil($"trainer-crash-{crash} starts the command",
                () => Task.FromResult(Events.Of<StageStarted>(s => s.TrainingId == poison.TrainingId).Count >= crash), Timeout);
            trainer.Kill();
            await RunningPipelineFixture.WaitUntil("the broker sees the killed Trainer go",
                async () => (await infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Consumers == 0, Timeout);
        }

        await StartTrainerAsync("trainer-after-crashes");

        var fault = await WaitForAsync<Fault<TrainModel>>(f => f.Message.TrainingId == poison.TrainingId);
        Assert.Contains("crashed 3 times", fault.Exceptions[0].Message);
        await WaitForAsync<ModelTrained>(m => m.TrainingId == behind.TrainingId);
        Assert.Equal(3, Events.Of<StageStarted>(s => s.TrainingId == poison.TrainingId).Count);
        Assert.Equal(1, (await infrastructure.QueueCountsAsync($"{StageQueues.TrainModel}_error"))?.Messages);
        await infrastructure.PurgeAsync($"{StageQueues.TrainModel}_error");
    }

    [Fact]
    public async Task Two_Trainers_given_two_copies_of_one_command_never_train_it_at_once()
    {
        var trainers = new[] { await StartTrainerAsync("trainer-a"), await StartTrainerAsync("trainer-b") };
        var send = host.Services.GetRequiredService<ISendEndpointProvider>();
        var command = TrainModel(Guid.NewGuid(), iterations: 100_000);

        // A copy sent again (a replay, or the relay resending after a crash) while the first still trains.
        await send.Send(command);
        await WaitForAsync<TrainingProgressed>(p => p.TrainingId == command.TrainingId);
        await send.Send(command);

        await RunningPipelineFixture.WaitUntil("the second copy is dropped",
            () => Task.FromResult(trainers.Any(t => t.Output.Contains("is already being trained by a live Trainer: this copy is a duplicate"))), Timeout);
        await RunningPipelineFixture.WaitUntil("the first copy's start is logged",
            () => Task.FromResult(trainers.Any(t => t.Output.Contains($"Training {command.TrainingId} from scratch"))), Timeout);
        Assert.Single(trainers, t => t.Output.Contains($"Training {command.TrainingId} from scratch"));
        Assert.DoesNotContain(trainers, t => t.Output.Contains("Resuming"));
        await host.Services.GetRequiredService<IBus>().Publish(new TrainingCancelled { TrainingId = command.TrainingId });
        await RunningPipelineFixture.WaitUntil("the training stops",
            () => Task.FromResult(trainers.Any(t => t.Output.Contains("stopped: it was cancelled"))), Timeout);
    }

    [Fact]
    public async Task Two_Detectors_share_ten_batches_and_each_batch_is_done_once()
    {
        var detectors = new[] { await StartDetectorAsync("detector-1", expectedConsumers: 1), await StartDetectorAsync("detector-2", expectedConsumers: 2) };
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = ShapesArtifacts.AddDataset(Store, trainingId, train: 16, test: 4);
        var modelId = Guid.NewGuid();
        var modelKey = await ShapesArtifacts.AddModelAsync(Store, modelId, categories);

        var send = host.Services.GetRequiredService<ISendEndpointProvider>();
        for (var batch = 0; batch < 10; batch++)
        {
            await send.Send(DetectImages(trainingId, datasetKey, modelId, modelKey, batch));
        }

        await RunningPipelineFixture.WaitUntil("every batch is detected",
            () => Task.FromResult(Events.Of<ImagesDetected>(d => d.TrainingId == trainingId).Count >= 10), Timeout);
        var detected = Events.Of<ImagesDetected>(d => d.TrainingId == trainingId);
        Assert.Equal(Enumerable.Range(0, 10), detected.Select(d => d.BatchIndex).Order());
        Assert.All(detected, d => Assert.Equal(2, d.ImageCount));
        Assert.All(detected, d => Assert.True(Store.Exists(d.DetectionsKey)));
        // Each Detector's log lines come through an asynchronously read pipe: wait for all ten, then count them exactly.
        int DetectedLines(ServiceProcess detector) =>
            detector.Output.Split('\n').Count(line => line.Contains("Detected batch") && line.Contains(trainingId.ToString()));
        await RunningPipelineFixture.WaitUntil("both Detectors log their batches",
            () => Task.FromResult(detectors.Sum(DetectedLines) >= 10), Timeout);
        Assert.All(detectors, detector => Assert.True(DetectedLines(detector) > 0, $"{detector.Name} detected no batch"));
        Assert.Equal(10, detectors.Sum(DetectedLines));
    }

    [Fact]
    public async Task Bad_input_ends_in_a_fault_that_says_what_is_wrong()
    {
        await StartTrainerAsync("trainer");
        await StartDetectorAsync("detector", expectedConsumers: 1);
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = ShapesArtifacts.AddDataset(Store, trainingId);
        var modelId = Guid.NewGuid();
        var modelKey = await ShapesArtifacts.AddModelAsync(Store, modelId, categories);
        await File.AppendAllTextAsync(Store.GetLocalPath($"{modelKey}/weights.bin"), "tampered");
        var send = host.Services.GetRequiredService<ISendEndpointProvider>();

        await send.Send(DetectImages(trainingId, datasetKey, modelId, modelKey, batch: 0));
        await send.Send(TrainModel(trainingId, iterations: 5) with
        {
            Hyperparameters = new Contracts.Hyperparameters { Iterations = 5, BatchSize = 4, Resolution = 60 },
        });

        var detectFault = await WaitForAsync<Fault<DetectImages>>(f => f.Message.TrainingId == trainingId);
        Assert.Contains("'weights.bin'", detectFault.Exceptions[0].Message);
        Assert.Contains("sha256", detectFault.Exceptions[0].Message);
        var trainFault = await WaitForAsync<Fault<TrainModel>>(f => f.Message.TrainingId == trainingId);
        Assert.Contains("Resolution", trainFault.Exceptions[0].Message);
        Assert.Equal(typeof(StageInputException).FullName, trainFault.Exceptions[0].ExceptionType);
    }

    public async Task InitializeAsync()
    {
        // What an earlier test left queued (a 100,000-iteration TrainModel of a test that failed) must not reach this one's workers.
        await infrastructure.PurgeAsync(WorkerQueues);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Settings());
        builder.AddPipelineDefaults("workers-test", bus =>
            bus.AddConsumer<WorkerEventRecorder>().Endpoint(e => e.Name = "workers-test-events"));
        builder.Services.AddSingleton<WorkerEvents>();
        host = builder.Build();
        await host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        // Killed workers give back what they held; none of it is for the next test.
        await RunningPipelineFixture.WaitUntil("the killed workers are gone",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Consumers is null or 0
                && (await infrastructure.QueueCountsAsync(StageQueues.DetectImages))?.Consumers is null or 0, Timeout);
        await infrastructure.PurgeAsync(WorkerQueues);
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(root, recursive: true);
    }

    private static Task WaitForOutputAsync(ServiceProcess process, string text) =>
        RunningPipelineFixture.WaitUntil($"{process.Name} logs '{text}'", () => Task.FromResult(process.Output.Contains(text)), Timeout);

    private int NewestCheckpointIteration(Guid trainingId) => Store.List(ArtifactKeys.Checkpoints(trainingId))
        .Where(key => key.EndsWith($"/{CheckpointFolder.ContentFile}", StringComparison.Ordinal))
        .Select(key => JsonSerializer.Deserialize<TrainingCheckpoint>(File.ReadAllText(Store.GetLocalPath(key)), ContractJson.Files)!.Iteration)
        .Max();

    private Dictionary<string, string?> Settings()
    {
        var settings = infrastructure.ServiceSettings();
        settings["Artifacts:Root"] = Path.Combine(root, "artifacts");
        settings["Retry:Limit"] = "1";
        settings["Retry:MaxInterval"] = "00:00:00.200";
        return settings;
    }

    private async Task<ServiceProcess> StartTrainerAsync(string name)
    {
        var process = Start("Trainer", name, new()
        {
            ["Trainer:Device"] = "cpu", ["Trainer:ModelWidth"] = "8", ["Trainer:ProgressInterval"] = "00:00:00.200",
            ["Trainer:EvaluateEvery"] = "10", ["Trainer:CheckpointEvery"] = "10",
            // A live duplicate's holder is waited for twice this before the copy is let go.
            ["Trainer:LeaseTimeout"] = "00:00:05",
        });
        await RunningPipelineFixture.WaitUntil($"{name} consumes {StageQueues.TrainModel}",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Consumers > 0 || process.HasExited, Timeout);
        Assert.False(process.HasExited, process.Output);
        return process;
    }

    private async Task<ServiceProcess> StartDetectorAsync(string name, int expectedConsumers)
    {
        var process = Start("Detector", name, new() { ["Detector:Device"] = "cpu", ["Detector:Threads"] = "1", ["Detector:MinConfidence"] = "0.05" });
        await RunningPipelineFixture.WaitUntil($"{name} consumes {StageQueues.DetectImages}",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.DetectImages))?.Consumers >= expectedConsumers || process.HasExited, Timeout);
        Assert.False(process.HasExited, process.Output);
        return process;
    }

    private ServiceProcess Start(string project, string name, Dictionary<string, string?> extra)
    {
        var settings = Settings();
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        var process = ServiceProcess.Start(project, name, environment, Path.Combine(root, "logs"));
        processes.Add(process);
        return process;
    }

    private TrainModel TrainModel(Guid trainingId, int iterations)
    {
        var (datasetKey, categories) = Store.Exists(ArtifactKeys.DatasetManifest(trainingId, 1))
            ? (ArtifactKeys.DatasetManifest(trainingId, 1), Store.ReadAsync<Contracts.DatasetManifest>(ArtifactKeys.DatasetManifest(trainingId, 1)).GetAwaiter().GetResult().Categories)
            : ShapesArtifacts.AddDataset(Store, trainingId);
        return new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories,
            Hyperparameters = new Contracts.Hyperparameters { Iterations = iterations, BatchSize = 4, Resolution = 64, LearningRate = 0.003 },
        };
    }

    private static DetectImages DetectImages(Guid trainingId, string datasetKey, Guid modelId, string modelKey, int batch) => new()
    {
        TrainingId = trainingId, Attempt = 1, BatchIndex = batch, BatchCount = 10, DatasetKey = datasetKey,
        DetectionListKey = ArtifactKeys.DetectionList(trainingId, 1), FirstImageIndex = batch * 2, ImageCount = 2, ModelId = modelId, ModelKey = modelKey,
    };

    private async Task<T> WaitForAsync<T>(Func<T, bool> where, DateTime? since = null)
    {
        T? found = default;
        try
        {
            await RunningPipelineFixture.WaitUntil($"a {typeof(T).Name} arrives", () =>
            {
                found = (since is { } at ? Events.Since(at, where) : Events.Of(where)).FirstOrDefault();
                return Task.FromResult(found is not null);
            }, Timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Logs in {Path.Combine(root, "logs")}: " +
                string.Join("\n", processes.Select(p => $"--- {p.Name}\n{string.Join("\n", p.Output.Split('\n').TakeLast(15))}")), e);
        }

        return found!;
    }
}
