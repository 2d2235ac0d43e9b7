namespace Pipeline.Contracts;

public sealed record UploadModel
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public required string ModelKey { get; init; }
    public required IReadOnlyList<Category> Categories { get; init; }
    public required TrainingMetrics Metrics { get; init; }

    /// <summary>What the Trainer measured of the project's current model on the same split: the promotion's comparison.</summary>
    public CurrentModelEvaluation? CurrentModel { get; init; }
}
