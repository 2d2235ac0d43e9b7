namespace Pipeline.Contracts;

/// <summary>Published when a running training is to stop early, so the Trainer busy with that attempt wraps up.</summary>
public sealed record TrainingStopRequested
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public string? Reason { get; init; }
}
