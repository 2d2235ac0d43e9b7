namespace Pipeline.Contracts;

/// <summary>One point of a training's curves: the loss at a progress report, and the mAP@0.5 where it was evaluated.</summary>
public sealed record ProgressPoint
{
    public required int Iteration { get; init; }
    public double? Loss { get; init; }
    public double? MeanAveragePrecision { get; init; }
    public required DateTimeOffset At { get; init; }
}
