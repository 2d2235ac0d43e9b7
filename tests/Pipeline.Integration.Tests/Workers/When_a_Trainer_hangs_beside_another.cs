using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// Two real Trainers; the one training is frozen (SIGSTOP) past the stage's silence timeout and later killed. The watchdog
/// sends the next attempt, the other Trainer takes the training over once the frozen one's lease has gone silent, resumes
/// it from its last checkpoint and completes it: no attempt is acknowledged away, no training is stranded.
/// </summary>
public sealed class When_a_Trainer_hangs_beside_another(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);
    private readonly RunningPipelineFixture pipeline = new(realWorkers: true, extraSettings: new Dictionary<string, string>
    {
        [$"Stages:{TrainingStates.TrainingRunning}:Timeout"] = "00:00:10",
        ["Trainer:LeaseTimeout"] = "00:00:04",
    });

    public Task InitializeAsync() => pipeline.InitializeAsync();

    public Task DisposeAsync() => pipeline.DisposeAsync();

    [Fact]
    public async Task The_other_Trainer_takes_the_next_attempt_over_and_the_training_completes()
    {
        pipeline.StartTrainer("trainer-2");
        await RunningPipelineFixture.WaitUntil("both Trainers consume train-model", async () =>
            (await pipeline.Infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Consumers == 2, TimeSpan.FromSeconds(60));
        var folder = Path.Combine(pipeline.WorkFolder, "hung");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 8, TestImages = 2, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
        var trainingId = await pipeline.BeginAsync(new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri, o => o.Iterations = 120);
        await RunningPipelineFixture.WaitUntil("the training passes iteration 25", async () =>
            (await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.TrainingRunning)).Training.Progress?.Iteration > 25, Bound);

        var trainers = pipeline.Services.Where(s => s.Name.StartsWith("trainer", StringComparison.Ordinal)).ToList();
        var hung = trainers.Single(t => t.Output.Contains($"Training {trainingId} from scratch", StringComparison.Ordinal));
        var other = trainers.Single(t => t != hung);
        hung.Pause();
        var pausedAt = DateTime.UtcNow;

        await RunningPipelineFixture.WaitUntil("the other Trainer resumes the training", () =>
            Task.FromResult(other.Output.Contains($"Resuming training {trainingId}", StringComparison.Ordinal)), Bound);
        output.WriteLine($"taken over {DateTime.UtcNow - pausedAt:mm\\:ss} after the freeze");
        pipeline.Forget(hung);
        await hung.DisposeAsync();

        var training = await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed);
        Assert.True(training.State == TrainingStates.Completed,
            $"ended {training.State}: {string.Join("; ", training.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        // Trained once through: from scratch by the frozen Trainer, resumed (attempt 2) by the other, never started over.
        Assert.DoesNotContain($"Training {trainingId} from scratch", other.Output);
        Assert.Equal(0, (await pipeline.Infrastructure.QueueCountsAsync($"{StageQueues.TrainModel}_error"))?.Messages ?? 0);
        Assert.DoesNotContain("this copy (attempt 2) is dropped", other.Output);
    }
}
