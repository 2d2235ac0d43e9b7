namespace Pipeline.Contracts;

/// <summary>The Trainer's last heartbeat.</summary>
public sealed record TrainingProgress
{
    public int Iteration { get; init; }
    public int TotalIterations { get; init; }
    public double Loss { get; init; }
    public double ImagesPerSecond { get; init; }
    public TimeSpan? EstimatedTimeLeft { get; init; }
    public DateTimeOffset At { get; init; }
}
