using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// What a training takes from its project's inbox (<see cref="ArtifactKeys.Inbox"/>): every complete item (an image beside
/// its detections.json, which a detector node writes last) as a train image whose detections are its annotations. An item
/// without detections.json is still being written and is left for a later training; one whose detections name a category
/// the dataset lacks, or cannot be read, is skipped and counted. The items stay in the inbox.
/// </summary>
public static class ProjectInbox
{
    /// <summary>Where inbox images are stored in the training's dataset folder, apart from the dataset's own files.</summary>
    public const string StoredUnder = "project-inbox/";

    /// <summary>Inbox images' ids: the item's folder name after this prefix.</summary>
    public const string IdPrefix = "inbox-";

    public const string DetectionsFile = "detections.json";

    private const string ImageFilePrefix = "image.";

    /// <param name="Folder">The inbox's folder on this machine, which the images' files are relative to.</param>
    /// <param name="Skipped">Why each skipped item was skipped.</param>
    public sealed record Items(string Folder, IReadOnlyList<ManifestImage> Images, IReadOnlyList<string> Skipped);

    public static async Task<Items> ReadAsync(
        IArtifactStore store, string organization, string project, IReadOnlyCollection<Category> categories, CancellationToken cancellationToken)
    {
        var inbox = ArtifactKeys.Inbox(organization, project);
        var byItem = store.List(inbox)
            .Select(key => key[(inbox.Length + 1)..].Split('/'))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0], parts => parts[1])
            .OrderBy(item => item.Key, StringComparer.Ordinal);
        var declared = categories.Select(category => category.Id).ToHashSet();
        var images = new List<ManifestImage>();
        var skipped = new List<string>();
        foreach (var item in byItem)
        {
            var files = item.ToList();
            var image = files.Where(file => file.StartsWith(ImageFilePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (!files.Contains(DetectionsFile) || image is null)
            {
                continue; // not complete yet: a detector node writes detections.json last
            }

            ImageDetections detections;
            try
            {
                detections = await store.ReadAsync<ImageDetections>($"{inbox}/{item.Key}/{DetectionsFile}", cancellationToken);
            }
            catch (JsonException e)
            {
                skipped.Add($"item {item.Key}: {DetectionsFile} does not read ({e.Message})");
                continue;
            }

            var annotations = Annotations(detections);
            if (annotations.FirstOrDefault(annotation => !declared.Contains(annotation.CategoryId)) is { } unknown)
            {
                skipped.Add($"item {item.Key}: category '{unknown.CategoryId}', which the dataset does not have");
                continue;
            }

            images.Add(new ManifestImage { Id = IdPrefix + item.Key, File = $"{item.Key}/{image}", Split = "train", Annotations = annotations });
        }

        return new Items(store.GetLocalPath(inbox), images, skipped);
    }

    /// <summary>The detector's shapes as the manifest's: boxes and points in pixels, a classification without geometry.</summary>
    private static List<ManifestAnnotation> Annotations(ImageDetections detections) =>
    [
        .. (detections.Boxes ?? []).Select(box => new ManifestAnnotation
        {
            CategoryId = box.CategoryId, X = box.X, Y = box.Y, Width = box.Width, Height = box.Height,
        }),
        .. (detections.Points ?? []).Select(point => new ManifestAnnotation { CategoryId = point.CategoryId, X = point.X, Y = point.Y }),
        .. (detections.Classifications ?? []).Select(classification => new ManifestAnnotation { CategoryId = classification.CategoryId }),
    ];
}
