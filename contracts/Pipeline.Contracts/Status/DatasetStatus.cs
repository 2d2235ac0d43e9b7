namespace Pipeline.Contracts;

public sealed record DatasetStatus
{
    public required string Uri { get; init; }
    public required string? Key { get; init; }
    public required IReadOnlyList<Category> Categories { get; init; }
    public required int TrainImageCount { get; init; }
    public required int TestImageCount { get; init; }
    public required int DetectionImageCount { get; init; }
    public required int SkippedImageCount { get; init; }

    /// <summary>The skipped images counted by why each was left out.</summary>
    public IReadOnlyDictionary<ImageSkipReason, int> SkippedImagesByReason { get; init; } = new Dictionary<ImageSkipReason, int>();
    public int HeldOutImageCount { get; init; }
    public string? TestUri { get; init; }
    public int InboxImageCount { get; init; }
    public int InboxSkippedCount { get; init; }
}
