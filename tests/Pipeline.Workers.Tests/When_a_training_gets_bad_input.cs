using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Workers.Tests;

public sealed class When_a_training_gets_bad_input : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task Hyperparameters_out_of_range_are_named()
    {
        var command = Command(Guid.NewGuid(), WorkerStore.Quick(4) with { BatchSize = 0 });

        var error = await Assert.ThrowsAsync<StageInputException>(() => Run(command));

        Assert.Contains("BatchSize", error.Message);
    }

    [Fact]
    public async Task A_dataset_without_train_images_is_bad_input()
    {
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId, train: 0, test: 3);
        var command = new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(4),
        };

        var error = await Assert.ThrowsAsync<StageInputException>(() => Run(command));

        Assert.Contains("no train images", error.Message);
    }

    [Fact]
    public async Task A_base_model_whose_file_does_not_match_its_checksum_is_named()
    {
        var baseModel = await TrainBaseModelAsync();
        await File.AppendAllTextAsync(workers.Store.GetLocalPath($"{baseModel.Key}/weights.bin"), "tampered");
        var command = Command(Guid.NewGuid(), WorkerStore.Quick(2)) with { BaseModelKey = baseModel.Key };

        var error = await Assert.ThrowsAsync<StageInputException>(() => Run(command));

        Assert.Contains("'weights.bin'", error.Message);
        Assert.Contains("sha256", error.Message);
    }

    [Fact]
    public async Task Categories_that_do_not_match_the_base_model_are_named()
    {
        var baseModel = await TrainBaseModelAsync();
        var command = Command(Guid.NewGuid(), WorkerStore.Quick(2));
        command = command with
        {
            BaseModelKey = baseModel.Key,
            Categories = [.. command.Categories.Where(c => c.Id != "triangle"), new Category { Id = "star", Name = "star" }],
        };

        var error = await Assert.ThrowsAsync<StageInputException>(() => Run(command));

        Assert.Contains("'star'", error.Message);
        Assert.Contains("'triangle'", error.Message);
    }

    private TrainModel Command(Guid trainingId, Hyperparameters hyperparameters)
    {
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        return new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = hyperparameters,
        };
    }

    private Task<Pipeline.Trainer.Training.TrainingResult> Run(TrainModel command) =>
        workers.Training(WorkerStore.TrainerSettings()).RunAsync(command, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);

    private async Task<(string Key, ModelDescription Description)> TrainBaseModelAsync()
    {
        var result = await Run(Command(Guid.NewGuid(), WorkerStore.Quick(2)));
        return (result.ModelKey, await workers.Store.ReadDescriptionAsync(result.ModelKey));
    }

    public void Dispose() => workers.Dispose();
}
