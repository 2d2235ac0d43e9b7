using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// Four trainings on one real Trainer with a short silence timeout: the three ahead train for longer than that
/// timeout each, so the last waits in the train-model queue for several timeouts. Waiting is not silence: none is
/// sent again, none is trained twice.
/// </summary>
public sealed class When_trainings_queue_behind_one_Trainer : IAsyncLifetime
{
    private static readonly TimeSpan SilenceTimeout = TimeSpan.FromSeconds(10);
    private readonly RunningPipelineFixture pipeline = new(realWorkers: true, extraSettings: new Dictionary<string, string>
    {
        [$"Stages:{TrainingStates.TrainingRunning}:Timeout"] = SilenceTimeout.ToString(),
    });

    public Task InitializeAsync() => pipeline.InitializeAsync();

    public Task DisposeAsync() => pipeline.DisposeAsync();

    [Fact]
    public async Task The_one_queued_behind_three_longer_ones_is_not_sent_again()
    {
        var dataset = Path.Combine(pipeline.WorkFolder, "queued");
        ShapesDataset.Generate(dataset, new ShapesDatasetOptions { TrainImages = 8, TestImages = 2, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
        var manifest = new Uri(Path.Combine(dataset, "manifest.json")).AbsoluteUri;
        var ahead = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ahead.Add(await pipeline.BeginAsync(manifest, o => o.Iterations = 250));
        }

        // Downloads finish in any order: the short one is begun once the long ones' TrainModels are queued, so it is behind them.
        var fromTrainingRunning = TrainingStates.All.SkipWhile(state => state != TrainingStates.TrainingRunning).ToArray();
        foreach (var trainingId in ahead)
        {
            await pipeline.WaitForStateAsync(trainingId, TimeSpan.FromMinutes(1), fromTrainingRunning);
        }

        var behind = await pipeline.BeginAsync(manifest, o => o.Iterations = 10);

        var last = await pipeline.WaitForStateAsync(behind, TimeSpan.FromMinutes(5), TrainingStates.Completed, TrainingStates.Failed);
        var waited = last.History.Single(t => t.To == TrainingStates.TrainingRunning).At;
        foreach (var trainingId in ahead.Append(behind))
        {
            var training = await pipeline.WaitForStateAsync(trainingId, TimeSpan.FromMinutes(2), TrainingStates.Completed, TrainingStates.Failed);
            Assert.Equal((TrainingStates.Completed, 1), (training.State, training.Attempt));
            Assert.Single(training.History, t => t.To == TrainingStates.TrainingRunning);
        }

        var trainer = pipeline.Services.Single(s => s.Name == "trainer").Output;
        Assert.DoesNotContain("Resuming", trainer);
        Assert.DoesNotContain("this copy", trainer); // neither a stale nor a duplicate copy of any of them was met
        // It really waited longer than the timeout: from entering TrainingRunning to its first start.
        var finishedAhead = (await Task.WhenAll(ahead.Select(id => pipeline.WaitForStateAsync(id, TimeSpan.FromSeconds(5), TrainingStates.Completed))))
            .Max(t => t.History.Single(h => h.From == TrainingStates.TrainingRunning).At);
        Assert.True(finishedAhead - waited > SilenceTimeout, $"the last training waited only {finishedAhead - waited} in the queue");
    }
}
