namespace Pipeline.Contracts;

/// <summary>The Orchestrator's watchdog found a stage silent past its deadline.</summary>
public sealed record StageTimedOut
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string Stage { get; init; }
}
