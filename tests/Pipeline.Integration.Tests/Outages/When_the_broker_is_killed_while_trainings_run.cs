using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// All five services as processes (the real Trainer and two Detectors) on a RabbitMQ node of this test's own, which is
/// SIGKILLed while a training trains and started again: every service reconnects by itself, the training in flight and
/// one begun after the restart both complete, and no message goes to an _error queue.
/// </summary>
public sealed class When_the_broker_is_killed_while_trainings_run(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);
    private PrivateRabbitMq broker = null!;
    private RunningPipelineFixture pipeline = null!;

    public async Task InitializeAsync()
    {
        broker = await PrivateRabbitMq.StartAsync();
        pipeline = new RunningPipelineFixture(realWorkers: true, broker: broker);
        await pipeline.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await pipeline.DisposeAsync();
        await broker.DisposeAsync();
    }

    [Fact]
    public async Task Every_service_reconnects_and_every_training_completes_with_no_message_in_error()
    {
        var folder = Path.Combine(pipeline.WorkFolder, "broker-killed");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 16, TestImages = 4, Size = 64, MinShapeSize = 8, MaxShapeSize = 24 });
        var dataset = new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri;

        var inFlight = await pipeline.BeginAsync(dataset, options => options.Iterations = 200);
        // Killed while the Trainer is mid-training (it holds its TrainModel unacked) and the saga waits on it.
        await RunningPipelineFixture.WaitUntil("the Trainer has reported progress on the first training", async () =>
            (await pipeline.WaitForStateAsync(inFlight, Bound, TrainingStates.TrainingRunning)).Training.Progress?.Iteration is > 0 and < 200, Bound);
        await broker.KillAsync();
        var killedAt = DateTime.UtcNow;
        // Bounded by the test's own clock: the outage the services must ride out, not a wait for a condition.
        await Task.Delay(Down);
        await broker.StartAgainAsync();
        var restartedAt = DateTime.UtcNow;

        Assert.Empty(pipeline.ExitedServices);
        var afterRestart = await pipeline.BeginAsync(dataset, options => options.Iterations = 20);
        foreach (var trainingId in new[] { inFlight, afterRestart })
        {
            var training = await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed);
            Assert.True(training.State == TrainingStates.Completed, $"{trainingId} ended {training.State}: {string.Join("; ", training.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        }

        output.WriteLine($"RabbitMQ down {restartedAt - killedAt:mm\\:ss}; both trainings completed {DateTime.UtcNow - restartedAt:mm\\:ss} after its restart.");
        Assert.Empty(pipeline.ExitedServices);
        var errorQueues = StageQueues.All.Concat(["downloader-cleanup", "trainer-cleanup", "detector-cleanup"]).Select(queue => $"{queue}_error");
        foreach (var queue in errorQueues)
        {
            Assert.Equal((queue, 0), (queue, (await pipeline.Infrastructure.QueueCountsAsync(queue))?.Messages ?? 0));
        }
    }
}
