using Pipeline.Contracts;
using Pipeline.Artifacts;

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
            .RunAsync(command, events, CancellationToken.None, CancellationToken.None);

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
        var training = workers.Training(WorkerStore.TrainerSettings(checkpointEvery: 4));
        await CrashAtAsync(training, command, iteration: 5);

        var second = new RecordedTrainingEvents();
        var result = await training.RunAsync(command with { Attempt = 2 }, second, CancellationToken.None, CancellationToken.None);

        Assert.Equal(4, result.ResumedFromIteration);
        Assert.Equal([5, 6, 7, 8], second.Progress.Select(p => p.Iteration));
        Assert.Equal(8, result.Metrics.Iteration);
    }

    [Fact]
    public async Task A_stop_ends_it_after_the_next_iteration_and_hands_over_the_best_evaluation_with_its_metrics()
    {
        var command = Command(Guid.NewGuid(), iterations: 40);
        using var stop = new CancellationTokenSource();
        var events = new RecordedTrainingEvents(progress =>
        {
            if (progress.Iteration == 9)
            {
                stop.Cancel();
            }
        });

        var result = await workers.Training(WorkerStore.TrainerSettings(evaluateEvery: 2, checkpointEvery: 100))
            .RunAsync(command, events, stop.Token, CancellationToken.None);

        // Stopped while reporting iteration 9: iteration 10 is the last, evaluated and reported like a final one.
        Assert.Equal(10, result.StoppedAtIteration);
        Assert.Equal(10, events.Progress[^1].Iteration);
        Assert.NotNull(events.Progress[^1].MeanAveragePrecision);
        // The best evaluation's mAP (on a tie the later, more trained weights), and model.json says which iteration it was.
        Assert.Equal(events.Progress.Max(p => p.MeanAveragePrecision), result.Metrics.MeanAveragePrecision);
        Assert.Contains(events.Progress, p => p.Iteration == result.Metrics.Iteration && p.MeanAveragePrecision == result.Metrics.MeanAveragePrecision);
        var description = await workers.Store.ReadDescriptionAsync(result.ModelKey);
        Assert.Equal((result.Metrics.Iteration, result.Metrics.MeanAveragePrecision), (description.Metrics!.Iteration, description.Metrics.MeanAveragePrecision));
    }

    [Fact]
    public async Task The_model_handed_over_is_the_best_evaluation_even_when_the_last_one_is_worse()
    {
        var command = Command(Guid.NewGuid(), iterations: 6);
        var training = workers.Training(WorkerStore.TrainerSettings(evaluateEvery: 3, checkpointEvery: 3));
        var first = await training.RunAsync(command, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);
        // A best kept from an evaluation better than anything this run reaches (as one before a restart may be).
        var bestKey = ArtifactKeys.BestModel(command.TrainingId);
        var kept = await workers.Store.ReadDescriptionAsync(bestKey);
        var better = first.Metrics with { Iteration = 3, MeanAveragePrecision = first.Metrics.MeanAveragePrecision + 1 };
        await workers.Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(bestKey), kept with { Metrics = better });

        var second = await training.RunAsync(command with { Attempt = 2 }, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);

        Assert.Equal((3, better.MeanAveragePrecision), (second.Metrics.Iteration, second.Metrics.MeanAveragePrecision));
        var handedOver = await workers.Store.ReadDescriptionAsync(second.ModelKey);
        Assert.Equal(3, handedOver.Metrics!.Iteration);
        Assert.Equal(kept.Files.Select(f => f.Sha256), handedOver.Files.Select(f => f.Sha256));
        Assert.Null(second.StoppedAtIteration);
    }

    [Fact]
    public async Task A_half_written_newest_checkpoint_is_skipped_and_the_complete_one_before_it_resumed()
    {
        var command = Command(Guid.NewGuid(), iterations: 8);
        var training = workers.Training(WorkerStore.TrainerSettings(checkpointEvery: 4));
        await CrashAtAsync(training, command, iteration: 6);
        // What a Trainer killed while writing its iteration-6 checkpoint leaves: files, but no checkpoint.json yet.
        var halfWritten = $"{ArtifactKeys.Checkpoints(command.TrainingId)}/iteration-00000006";
        await workers.Store.WriteJsonAsync($"{halfWritten}/best-metrics.json", new TrainingMetrics());

        var second = new RecordedTrainingEvents();
        var result = await training.RunAsync(command with { Attempt = 2 }, second, CancellationToken.None, CancellationToken.None);

        Assert.Equal(4, result.ResumedFromIteration);
        Assert.Equal([5, 6, 7, 8], second.Progress.Select(p => p.Iteration));
    }

    [Fact]
    public async Task A_damaged_checkpoint_is_dropped_and_the_training_starts_again_instead_of_failing_on_it_each_retry()
    {
        var command = Command(Guid.NewGuid(), iterations: 6);
        var training = workers.Training(WorkerStore.TrainerSettings(checkpointEvery: 4));
        await CrashAtAsync(training, command, iteration: 5);
        var checkpoint = workers.Store.List(ArtifactKeys.Checkpoints(command.TrainingId)).Single(key => key.EndsWith("/checkpoint.json"));
        var weights = workers.Store.GetLocalPath($"{checkpoint[..checkpoint.LastIndexOf('/')]}/{Pipeline.Vision.Models.DetectorModel.WeightsFile}");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(weights, bytes);

        var second = new RecordedTrainingEvents();
        var result = await training.RunAsync(command with { Attempt = 2 }, second, CancellationToken.None, CancellationToken.None);

        Assert.Equal(0, result.ResumedFromIteration);
        Assert.Equal(Enumerable.Range(1, 6), second.Progress.Select(p => p.Iteration));
        Assert.False(File.Exists(weights), "the damaged checkpoint is deleted, not tried again");
    }

    [Fact]
    public async Task A_training_resumed_at_its_last_iteration_hands_over_its_model_without_training_again()
    {
        var command = Command(Guid.NewGuid(), iterations: 6);
        var training = workers.Training(WorkerStore.TrainerSettings(evaluateEvery: 3, checkpointEvery: 3));
        await training.RunAsync(command, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);

        var second = new RecordedTrainingEvents();
        var result = await training.RunAsync(command with { Attempt = 2 }, second, CancellationToken.None, CancellationToken.None);

        Assert.Equal(6, result.ResumedFromIteration);
        Assert.Empty(second.Progress);
        Assert.Equal(ArtifactKeys.TrainedModel(command.TrainingId, 2), result.ModelKey);
        // An evaluation every 3 iterations: the model handed over is iteration 3's or 6's, whichever scored better.
        Assert.InRange((await workers.Store.ReadDescriptionAsync(result.ModelKey)).Metrics!.Iteration, 3, 6);
    }

    private static async Task CrashAtAsync(Pipeline.Trainer.Training.ModelTraining training, TrainModel command, int iteration)
    {
        using var crash = new CancellationTokenSource();
        var events = new RecordedTrainingEvents(progress =>
        {
            if (progress.Iteration == iteration)
            {
                crash.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training.RunAsync(command, events, CancellationToken.None, crash.Token));
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
