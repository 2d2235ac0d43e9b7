namespace Pipeline.Contracts;

/// <summary>One row of the confusion matrix the learning loop syncs: counts at IoU 0.5.</summary>
public sealed record CategoryMetrics
{
    public required string CategoryId { get; init; }
    public required string CategoryName { get; init; }
    public int TruePositives { get; init; }
    public int FalsePositives { get; init; }
    public int FalseNegatives { get; init; }
    public double AveragePrecision { get; init; }
}
