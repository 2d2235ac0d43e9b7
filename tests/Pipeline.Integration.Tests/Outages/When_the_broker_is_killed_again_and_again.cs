using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// The Orchestrator, Downloader and Uploader as processes on a RabbitMQ node of this test's own, which is SIGKILLed
/// again and again under traffic, down for a different time each round (from an immediate restart to longer than a
/// reconnect's back-off), once with the Orchestrator started while the node is away: after every restart each queue has
/// its consumers back within a bound, and every training begun completes with nothing in an _error queue.
/// </summary>
public sealed class When_the_broker_is_killed_again_and_again(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan[] Outages = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(25)];
    private const int OrchestratorStartedDuringOutage = 3;
    private static readonly TimeSpan ConsumersBack = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);
    private PrivateRabbitMq broker = null!;
    private RunningPipelineFixture pipeline = null!;

    public async Task InitializeAsync()
    {
        broker = await PrivateRabbitMq.StartAsync();
        pipeline = new RunningPipelineFixture(realWorkers: false, broker: broker);
        await pipeline.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await pipeline.DisposeAsync();
        await broker.DisposeAsync();
    }

    [Fact]
    public async Task Every_queue_gets_its_consumers_back_after_each_restart_and_every_training_completes()
    {
        var folder = Path.Combine(pipeline.WorkFolder, "broker-killed-again");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 8, TestImages = 4, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
        var dataset = new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri;
        var consumers = new Dictionary<string, int>
        {
            [StageQueues.Training] = 1, [StageQueues.DownloadTrainingData] = 1, [StageQueues.UploadModel] = 1,
            [StageQueues.UploadDetections] = 1, [StageQueues.TrainModel] = 1, [StageQueues.DetectImages] = 1,
        };
        var begun = new List<Guid>();
        for (var round = 0; round < Outages.Length; round++)
        {
            begun.Add(await pipeline.BeginAsync(dataset));
            begun.Add(await pipeline.BeginAsync(dataset));
            await broker.KillAsync();
            if (round == OrchestratorStartedDuringOutage)
            {
                // A deploy that lands while the broker is away: the new process must start and consume once it is back.
                var orchestrator = pipeline.Services.Single(s => s.Name.StartsWith("orchestrator", StringComparison.Ordinal) && !s.HasExited);
                orchestrator.Kill();
                pipeline.Forget(orchestrator);
                pipeline.StartService("Orchestrator", $"orchestrator-{round}");
            }

            // Bounded by the test's own clock: the outage the services must ride out, not a wait for a condition.
            await Task.Delay(Outages[round]);
            await broker.StartAgainAsync();
            var restarted = DateTime.UtcNow;
            foreach (var (queue, count) in consumers)
            {
                await RunningPipelineFixture.WaitUntil($"round {round} (down {Outages[round].TotalSeconds:0} s): queue {queue} has {count} consumer(s) again", async () =>
                    (await pipeline.Infrastructure.QueueCountsAsync(queue))?.Consumers == count, ConsumersBack);
            }

            var named = DateTime.UtcNow - restarted;
            // And every other queue the services read (cleanup, live events, each bus's own): the next kill must not land
            // while one of them is still declaring its topology, or the round would test that race instead of this one.
            try
            {
                await RunningPipelineFixture.WaitUntil($"round {round}: every queue of every service consumes again", () => Task.FromResult(pipeline.LostQueues().Count == 0), ConsumersBack);
            }
            catch (TimeoutException timeout)
            {
                throw new TimeoutException($"{timeout.Message} Still lost: {string.Join(", ", pipeline.LostQueues())}.", timeout);
            }

            output.WriteLine($"round {round}: down {Outages[round].TotalSeconds:0} s, the named queues' consumers back {named.TotalSeconds:0.0} s and every queue {(DateTime.UtcNow - restarted).TotalSeconds:0.0} s after the restart");
        }

        Assert.Empty(pipeline.ExitedServices);
        // Each says so in its log when its queue consumes again: a worker that recovered no longer reads like one that did not.
        foreach (var (service, queue) in new[] { ("orchestrator", StageQueues.Training), ("downloader", StageQueues.DownloadTrainingData), ("uploader", StageQueues.UploadModel) })
        {
            var process = pipeline.Services.Last(s => s.Name.StartsWith(service, StringComparison.Ordinal) && !s.HasExited);
            Assert.Contains($"{queue}: consuming again", process.Output);
        }

        foreach (var trainingId in begun)
        {
            var training = await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed);
            Assert.True(training.State == TrainingStates.Completed, $"{trainingId} ended {training.State}: {string.Join("; ", training.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        }

        foreach (var queue in StageQueues.All.Concat(["downloader-cleanup"]).Select(queue => $"{queue}_error"))
        {
            Assert.Equal((queue, 0), (queue, (await pipeline.Infrastructure.QueueCountsAsync(queue))?.Messages ?? 0));
        }
    }
}
