namespace Pipeline.Contracts;

public sealed record CancelTraining
{
    public required Guid TrainingId { get; init; }
    public string? Reason { get; init; }
}
