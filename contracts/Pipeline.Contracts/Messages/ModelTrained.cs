namespace Pipeline.Contracts;

public sealed record ModelTrained
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }

    /// <summary>Artifact key of the folder holding the weights and model.json.</summary>
    public required string ModelKey { get; init; }

    public required TrainingMetrics Metrics { get; init; }
}
