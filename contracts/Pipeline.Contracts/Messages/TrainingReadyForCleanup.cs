namespace Pipeline.Contracts;

/// <summary>Published once a training's results are stored: every service drops its scratch for it.</summary>
public sealed record TrainingReadyForCleanup
{
    public required Guid TrainingId { get; init; }
}
