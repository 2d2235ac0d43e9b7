namespace Pipeline.Contracts;

/// <summary>One transition of a training, as its history keeps it.</summary>
public sealed record StateTransition
{
    public required string From { get; init; }
    public required string To { get; init; }
    public required DateTimeOffset At { get; init; }
    public int Attempt { get; init; }
    public string? Error { get; init; }

    /// <summary>What else the user should know of this step, e.g. that the training was stopped at an iteration.</summary>
    public string? Note { get; init; }
}
