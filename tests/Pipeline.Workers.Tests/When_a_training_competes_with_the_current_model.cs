using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Workers.Tests;

/// <summary>
/// TrainModel names the project's current model: the Trainer evaluates it on the split its own model's metrics come
/// from, so the Uploader's promotion compares like with like; a model that cannot run there is reported, not fatal.
/// </summary>
public sealed class When_a_training_competes_with_the_current_model : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task The_current_model_is_evaluated_on_the_new_trainings_test_split()
    {
        var (current, currentMetrics) = await TrainAsync(Guid.NewGuid(), currentModel: null);

        // The same generated dataset (same seed): the current model's figure on it must be what its own evaluation said.
        var (_, metrics, evaluation) = await TrainWithResultAsync(Guid.NewGuid(), new CurrentModel { ModelId = Guid.NewGuid(), Version = 1, ModelKey = current });

        Assert.NotNull(evaluation);
        Assert.Null(evaluation.NotComparable);
        Assert.Equal(1, evaluation.Version);
        Assert.Equal(currentMetrics.MeanAveragePrecision, evaluation.MeanAveragePrecision!.Value, 6);
        Assert.InRange(metrics.MeanAveragePrecision, 0, 1);
    }

    [Fact]
    public async Task A_current_model_of_other_categories_is_reported_as_not_comparable()
    {
        var (current, _) = await TrainAsync(Guid.NewGuid(), currentModel: null);
        var other = "models/other-categories";
        var (description, _) = await workers.Store.CopyVerifiedModelAsync(current, other);
        await workers.Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(other), description with { Categories = [description.Categories[0]] });

        var (_, _, evaluation) = await TrainWithResultAsync(Guid.NewGuid(), new CurrentModel { ModelId = Guid.NewGuid(), Version = 2, ModelKey = other });

        Assert.Null(evaluation!.MeanAveragePrecision);
        Assert.StartsWith($"its categories ({description.Categories[0].Id}) are not this training's", evaluation.NotComparable);
    }

    [Fact]
    public async Task A_current_model_whose_weights_do_not_match_model_json_is_reported_and_the_training_still_succeeds()
    {
        var (current, _) = await TrainAsync(Guid.NewGuid(), currentModel: null);
        var tampered = "models/tampered";
        await workers.Store.CopyVerifiedModelAsync(current, tampered);
        await workers.Store.WriteAsync($"{tampered}/weights.bin", new MemoryStream("tampered"u8.ToArray()));

        var (modelKey, _, evaluation) = await TrainWithResultAsync(Guid.NewGuid(), new CurrentModel { ModelId = Guid.NewGuid(), Version = 3, ModelKey = tampered });

        Assert.True(workers.Store.Exists(ModelArtifacts.DescriptionKey(modelKey)));
        Assert.Null(evaluation!.MeanAveragePrecision);
        Assert.StartsWith("it does not load:", evaluation.NotComparable);
    }

    [Fact]
    public async Task A_current_model_whose_files_are_gone_is_reported_and_the_training_still_succeeds()
    {
        var (modelKey, _, evaluation) = await TrainWithResultAsync(Guid.NewGuid(), new CurrentModel { ModelId = Guid.NewGuid(), Version = 4, ModelKey = "models/gone" });

        Assert.True(workers.Store.Exists(ModelArtifacts.DescriptionKey(modelKey)));
        Assert.Null(evaluation!.MeanAveragePrecision);
        Assert.StartsWith("it does not load:", evaluation.NotComparable);
    }

    private async Task<(string ModelKey, TrainingMetrics Metrics)> TrainAsync(Guid trainingId, CurrentModel? currentModel)
    {
        var (modelKey, metrics, _) = await TrainWithResultAsync(trainingId, currentModel);
        return (modelKey, metrics);
    }

    private async Task<(string ModelKey, TrainingMetrics Metrics, CurrentModelEvaluation? Evaluation)> TrainWithResultAsync(Guid trainingId, CurrentModel? currentModel)
    {
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        var command = new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(4),
            CurrentModel = currentModel,
        };
        var result = await workers.Training(WorkerStore.TrainerSettings(evaluateEvery: 2))
            .RunAsync(command, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);
        return (result.ModelKey, result.Metrics, result.CurrentModel);
    }

    public void Dispose() => workers.Dispose();
}
