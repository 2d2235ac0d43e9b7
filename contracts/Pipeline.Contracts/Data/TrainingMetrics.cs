namespace Pipeline.Contracts;

public sealed record TrainingMetrics
{
    public int Iteration { get; init; }
    public double Loss { get; init; }

    /// <summary>mAP at IoU 0.5 over the categories that have ground truth in the test split.</summary>
    public double MeanAveragePrecision { get; init; }

    public IReadOnlyList<CategoryMetrics> Categories { get; init; } = [];

    /// <summary>Which category each box was taken for, background included; null where it was not computed (before it was).</summary>
    public ConfusionMatrix? Confusion { get; init; }
}
