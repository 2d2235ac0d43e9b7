namespace Pipeline.Contracts;

/// <summary>A new best evaluation during training; the learning loop syncs its confusion matrix at once.</summary>
public sealed record TrainingMetricsImproved
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required TrainingMetrics Metrics { get; init; }
}
