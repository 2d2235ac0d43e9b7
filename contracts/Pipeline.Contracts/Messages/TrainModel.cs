namespace Pipeline.Contracts;

public sealed record TrainModel
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string DatasetKey { get; init; }
    public required IReadOnlyList<Category> Categories { get; init; }
    public required Hyperparameters Hyperparameters { get; init; }

    /// <summary>Artifact key of the base model's folder when continuing a training.</summary>
    public string? BaseModelKey { get; init; }

    /// <summary>The project's current model when the training started: the Trainer evaluates it on the same test split at the end.</summary>
    public CurrentModel? CurrentModel { get; init; }
}
