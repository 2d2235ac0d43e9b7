namespace Pipeline.Contracts;

/// <summary>Published on every transition of a training, so watchers need not poll.</summary>
public sealed record TrainingStateChanged
{
    public required Guid TrainingId { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? Error { get; init; }
}
