namespace Pipeline.Contracts;

/// <summary>The Orchestrator's watchdog found a stage silent past its deadline.</summary>
public sealed record StageTimedOut
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string Stage { get; init; }

    /// <summary>
    /// For a stage never started that may wait in its queue for ever (no queue timeout): the messages the watchdog found
    /// waiting in that queue. None means its command is lost (a worker dropped it), so the stage is sent again.
    /// </summary>
    public long? CommandsWaiting { get; init; }
}
