using Pipeline.Contracts;
using Pipeline.Hosting.Artifacts;

namespace Pipeline.Workers.Tests;

public sealed class When_a_training_runs : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task It_writes_model_files_whose_sha256_match_model_json_and_a_checkpoint()
    {
        var command = Command(Guid.NewGuid(), iterations: 6);
        var events = new RecordedTrainingEvents();

        var result = await workers.Training(WorkerStore.TrainerSettings(evaluateEvery: 3, checkpointEvery: 3))
            .RunAsync(command, events, CancellationToken.None);

        var description = await workers.Store.ReadDescriptionAsync(result.ModelKey);
        Assert.NotEmpty(description.Files);
        foreach (var file in description.Files)
        {
            var stored = await workers.Store.DescribeAsync($"{result.ModelKey}/{file.Name}");
            Assert.Equal(file.Sha256, stored.Sha256);
            Assert.Equal(file.Length, stored.Length);
        }

        Assert.Equal(command.Categories, description.Categories);
        Assert.Equal(64, description.Resolution);
        Assert.Equal(6, result.Metrics.Iteration);
        Assert.Equal(command.Categories.Select(c => c.Id), result.Metrics.Categories.Select(c => c.CategoryId));
        Assert.Contains(workers.Store.List(ArtifactKeys.Checkpoints(command.TrainingId)), key => key.EndsWith("/checkpoint.json"));
        Assert.Equal(Enumerable.Range(1, 6), events.Progress.Select(p => p.Iteration));
        Assert.All(events.Progress, p => Assert.Equal(6, p.TotalIterations));
        Assert.NotEmpty(events.Improvements);
        Assert.Equal(0, result.ResumedFromIteration);
    }

    [Fact]
    public async Task A_restarted_training_continues_the_iteration_count_from_its_checkpoint()
    {
        var command = Command(Guid.NewGuid(), iterations: 8);
        using var crash = new CancellationTokenSource();
        var first = new RecordedTrainingEvents(progress =>
        {
            if (progress.Iteration == 5)
            {
                crash.Cancel();
            }
        });
        var training = workers.Training(WorkerStore.TrainerSettings(checkpointEvery: 4));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(command, first, crash.Token));

        var second = new RecordedTrainingEvents();
        var result = await training.RunAsync(command with { Attempt = 2 }, second, CancellationToken.None);

        Assert.Equal(4, result.ResumedFromIteration);
        Assert.Equal([5, 6, 7, 8], second.Progress.Select(p => p.Iteration));
        Assert.Equal(8, result.Metrics.Iteration);
    }

    private TrainModel Command(Guid trainingId, int iterations)
    {
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        return new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(iterations),
        };
    }

    public void Dispose() => workers.Dispose();
}
