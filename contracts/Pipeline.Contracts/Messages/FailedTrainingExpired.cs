namespace Pipeline.Contracts;

/// <summary>The Orchestrator's watchdog found a training Failed for longer than its retention: its scratch may go.</summary>
public sealed record FailedTrainingExpired
{
    public required Guid TrainingId { get; init; }
}
