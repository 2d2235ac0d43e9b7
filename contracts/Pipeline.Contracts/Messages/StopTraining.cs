namespace Pipeline.Contracts;

/// <summary>
/// Ends a running training early and keeps it: the Trainer finishes its iteration, evaluates and hands over its best
/// model, and the training goes on through every later stage. (<see cref="CancelTraining"/> discards it instead.)
/// </summary>
public sealed record StopTraining
{
    public required Guid TrainingId { get; init; }
    public string? Reason { get; init; }
}
