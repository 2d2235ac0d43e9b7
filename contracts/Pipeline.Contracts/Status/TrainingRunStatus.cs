namespace Pipeline.Contracts;

/// <summary>The Trainer's last heartbeat and the best metrics so far (the confusion matrix the learning loop syncs).</summary>
public sealed record TrainingRunStatus
{
    public required Guid? BaseModelId { get; init; }
    public required TrainingProgress? Progress { get; init; }
    public required TrainingMetrics? BestMetrics { get; init; }
    public required string? TrainedModelKey { get; init; }
    public bool StopRequested { get; init; }
    public int? StoppedAtIteration { get; init; }
}
