namespace Pipeline.Contracts;

/// <summary>The Trainer's heartbeat: published at most every few seconds while a training runs.</summary>
public sealed record TrainingProgressed
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required int Iteration { get; init; }
    public required int TotalIterations { get; init; }
    public double Loss { get; init; }
    public double ImagesPerSecond { get; init; }
    public TimeSpan? EstimatedTimeLeft { get; init; }

    /// <summary>mAP@0.5 of the evaluation at this iteration, when one ran: every evaluation is reported, not only improvements.</summary>
    public double? MeanAveragePrecision { get; init; }
}
