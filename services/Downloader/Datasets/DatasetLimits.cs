using Pipeline.Artifacts;
using Pipeline.Contracts;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// What a dataset's annotation files may ask of the Downloader: each file's bytes before a parser reads it whole, then
/// the images, annotations and categories it lists. A dataset past a limit fails at DataDownloading naming the setting.
/// </summary>
public static class DatasetLimits
{
    /// <summary>Every annotation file the documents name (for Pascal VOC, each XML in the Annotations/ folder), before any is read.</summary>
    public static void CheckFiles(DatasetDocuments documents, DownloaderSettings settings)
    {
        foreach (var document in new[] { documents.Train }.Concat(documents.Tests ?? []))
        {
            var files = Directory.Exists(document) ? Directory.EnumerateFiles(document, "*.xml") : [document];
            foreach (var file in files)
            {
                var length = new FileInfo(file).Length;
                if (length > settings.MaxAnnotationFileBytes)
                {
                    throw new StageInputException(
                        $"Dataset file '{Path.GetFileName(file)}' is {length} bytes, more than Downloader:MaxAnnotationFileBytes ({settings.MaxAnnotationFileBytes}).");
                }
            }
        }
    }

    /// <summary>The manifest read from them: its images, annotations and categories.</summary>
    public static void CheckCounts(DatasetManifest manifest, DownloaderSettings settings)
    {
        Check(manifest.Images.Count, settings.MaxImages, "images", nameof(DownloaderSettings.MaxImages));
        Check(manifest.Images.Sum(image => (long)image.Annotations.Count), settings.MaxAnnotations, "annotations", nameof(DownloaderSettings.MaxAnnotations));
        Check(manifest.Categories.Count, settings.MaxCategories, "categories", nameof(DownloaderSettings.MaxCategories));
    }

    private static void Check(long count, long limit, string what, string setting)
    {
        if (count > limit)
        {
            throw new StageInputException($"Dataset lists {count} {what}, more than Downloader:{setting} ({limit}).");
        }
    }
}
