namespace Pipeline.Contracts;

/// <summary>
/// A worker took a stage's command from its queue and starts on it: from now on the stage's silence deadline runs,
/// where before it was only waiting in the queue.
/// </summary>
public sealed record StageStarted
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }

    /// <summary>The running state of the stage (<see cref="TrainingStates"/>).</summary>
    public required string Stage { get; init; }
}
