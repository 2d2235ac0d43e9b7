namespace Pipeline.Contracts;

/// <summary>
/// True class × predicted class over the test split's box categories, with background, at the evaluation's IoU and
/// confidence thresholds. A detection first matches a truth of its own category (so the diagonal is each category's
/// true positives); one left over matches a truth of another category that no detection took (a confusion); a
/// detection matching nothing is predicted on background, a truth nothing matched is predicted as background.
/// </summary>
public sealed record ConfusionMatrix
{
    public const string Background = "background";

    /// <summary>The rows' and the columns' labels: each box category's id, then <see cref="Background"/>.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary><c>Counts[true][predicted]</c>, in the order of <see cref="Labels"/>.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Counts { get; init; } = [];

    public float IouThreshold { get; init; }

    public float ConfidenceThreshold { get; init; }
}
