namespace Pipeline.Contracts;

/// <summary>Published when a training is cancelled, so a worker busy with it stops.</summary>
public sealed record TrainingCancelled
{
    public required Guid TrainingId { get; init; }
    public string? Reason { get; init; }
}
