using System.Text.RegularExpressions;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// A deploy stops the real Trainer gracefully (SIGTERM, as <c>pipeline down</c>, docker-compose and Kubernetes do) three
/// times while it trains, and starts it again each time: each stop checkpoints where it was and hands the command back,
/// each start resumes from there, and the training completes in its first attempt. A stop is neither a fault nor a crash
/// (three of those would set the command aside at Retry:CrashLimit = 3).
/// </summary>
public sealed partial class When_a_deploy_restarts_the_Trainer(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);
    private readonly RunningPipelineFixture pipeline = new(realWorkers: true);

    public Task InitializeAsync() => pipeline.InitializeAsync();

    public Task DisposeAsync() => pipeline.DisposeAsync();

    [Fact]
    public async Task Three_graceful_stops_mid_training_each_resume_where_they_stopped_and_the_training_completes()
    {
        var folder = Path.Combine(pipeline.WorkFolder, "deployed");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 8, TestImages = 2, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
        var trainingId = await pipeline.BeginAsync(new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri, o => o.Iterations = 150);

        var trainer = pipeline.Services.Single(s => s.Name == "trainer");
        var stoppedAt = new List<int>();
        var logs = new List<string>();
        for (var deploy = 1; deploy <= 3; deploy++)
        {
            var past = stoppedAt.LastOrDefault() + 15;
            await RunningPipelineFixture.WaitUntil($"the training passes iteration {past}", async () =>
                (await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.TrainingRunning)).Training.Progress?.Iteration > past, Bound);

            Assert.True(await trainer.StopAsync(TimeSpan.FromSeconds(40)), $"the Trainer did not stop within 40 s of SIGTERM:\n{trainer.Output}");
            Assert.Equal(0, trainer.ExitCode);
            var checkpointed = Checkpointed().Matches(trainer.Output);
            Assert.True(checkpointed.Count == 1, $"deploy {deploy}: the stopping Trainer did not checkpoint once:\n{trainer.Output}");
            stoppedAt.Add(int.Parse(checkpointed[0].Groups["iteration"].Value));
            logs.Add(trainer.Output);
            pipeline.Forget(trainer);
            await trainer.DisposeAsync();
            trainer = pipeline.StartTrainer($"trainer-{deploy + 1}");
        }

        var training = await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed);
        Assert.True(training.State == TrainingStates.Completed,
            $"ended {training.State}: {string.Join("; ", training.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        // Never re-sent, never faulted: the same attempt ran through all three stops.
        Assert.Equal(1, training.Attempt);
        Assert.Equal(0, (await pipeline.Infrastructure.QueueCountsAsync($"{StageQueues.TrainModel}_error"))?.Messages ?? 0);
        Assert.DoesNotContain(Directory.EnumerateFiles(pipeline.ArtifactRoot, "*", SearchOption.AllDirectories),
            f => f.Contains("/crashes/", StringComparison.Ordinal) && f.Contains(StageQueues.TrainModel, StringComparison.Ordinal));
        // Each restarted Trainer resumed from the checkpoint its predecessor wrote as it stopped.
        var resumedFrom = logs.Append(trainer.Output).SelectMany(log => Resumed().Matches(log)).Select(m => int.Parse(m.Groups["iteration"].Value)).ToList();
        output.WriteLine($"stopped at {string.Join(", ", stoppedAt)}; resumed from {string.Join(", ", resumedFrom)}");
        Assert.Equal(stoppedAt, resumedFrom);
    }

    [GeneratedRegex(@"checkpointed at iteration (?<iteration>\d+) of \d+: this Trainer is stopping")]
    private static partial Regex Checkpointed();

    [GeneratedRegex(@"Resuming training \S+ from its checkpoint at iteration (?<iteration>\d+)")]
    private static partial Regex Resumed();
}
