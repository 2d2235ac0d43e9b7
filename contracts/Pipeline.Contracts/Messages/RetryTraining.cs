namespace Pipeline.Contracts;

/// <summary>Sends a failed training's stage again with the next attempt number.</summary>
public sealed record RetryTraining
{
    public required Guid TrainingId { get; init; }
}
