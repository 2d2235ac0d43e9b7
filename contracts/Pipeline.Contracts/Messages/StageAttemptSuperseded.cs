namespace Pipeline.Contracts;

/// <summary>
/// A worker started an attempt of a stage that is no longer the training's (a copy sent before a retry or a
/// re-dispatch): whoever runs that attempt stops it, so one training is never worked on twice at once.
/// </summary>
public sealed record StageAttemptSuperseded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string Stage { get; init; }
    public required int CurrentAttempt { get; init; }
}
