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
    int SkippedImageCount);
