namespace Pipeline.Contracts;

public sealed record TrainingDataDownloaded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }

    /// <summary>Artifact key of the normalized manifest; image files lie beside it.</summary>
    public required string DatasetKey { get; init; }

    /// <summary>Artifact key of the JSON array of image ids detection runs over, in batch order.</summary>
    public required string DetectionListKey { get; init; }

    /// <summary>The dataset's categories, or those the training asked for.</summary>
    public required IReadOnlyList<Category> Categories { get; init; }

    public int TrainImageCount { get; init; }
    public int TestImageCount { get; init; }
    public int DetectionImageCount { get; init; }

    /// <summary>Listed images left out, as the learning loop's skipped_image_count.</summary>
    public int SkippedImageCount { get; init; }

    /// <summary>The skipped images counted by why each was left out (none from a Downloader older than the field).</summary>
    public IReadOnlyDictionary<ImageSkipReason, int> SkippedImagesByReason { get; init; } = new Dictionary<ImageSkipReason, int>();

    /// <summary>Train images moved to the test split because the dataset had none (Downloader:HeldOutShare).</summary>
    public int HeldOutImageCount { get; init; }

    /// <summary>Inbox images added to the train split (BeginTraining.IncludeInbox).</summary>
    public int InboxImageCount { get; init; }

    /// <summary>Complete inbox items left out: a category the dataset lacks, or an image that did not pass the check.</summary>
    public int InboxSkippedCount { get; init; }
}
