using Pipeline.Contracts;

namespace Pipeline.Downloader.Datasets;

/// <summary>What a download left in the artifact store, as the counts <see cref="TrainingDataDownloaded"/> reports.</summary>
public sealed record DownloadedDataset(
    string DatasetKey,
    string DetectionListKey,
    IReadOnlyList<Category> Categories,
    int TrainImageCount,
    int TestImageCount,
    int DetectionImageCount,
    int SkippedImageCount,
    int HeldOutImageCount = 0,
    int InboxImageCount = 0,
    int InboxSkippedCount = 0,
    IReadOnlyDictionary<ImageSkipReason, int>? SkippedByReason = null);

/// <summary>A dataset on this machine: its file or folder, and the real folders the files it names must lie under.</summary>
public sealed record FetchedDataset(string Path, IReadOnlyList<string> Roots);
