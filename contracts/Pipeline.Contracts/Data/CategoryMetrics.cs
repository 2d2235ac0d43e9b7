namespace Pipeline.Contracts;

/// <summary>
/// One category's true and false positives and false negatives at IoU 0.5, and its AP: what the learning loop syncs
/// (and calls its confusion matrix). Which category a box was taken for is <see cref="ConfusionMatrix"/>.
/// </summary>
public sealed record CategoryMetrics
{
    public required string CategoryId { get; init; }
    public required string CategoryName { get; init; }
    public int TruePositives { get; init; }
    public int FalsePositives { get; init; }
    public int FalseNegatives { get; init; }
    public double AveragePrecision { get; init; }
}
