using Pipeline.Contracts;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// Where the tools that export datasets put images relative to the annotation file. COCO 2017 keeps
/// <c>annotations/instances_train2017.json</c> beside <c>train2017/</c>; CVAT keeps <c>annotations/instances_default.json</c>
/// beside <c>images/</c>; Roboflow puts <c>_annotations.coco.json</c> inside each of <c>train/</c>, <c>valid/</c>, <c>test/</c>
/// with its images. Each listed image is looked for in these folders, and its path rewritten to be relative to the
/// dataset's root, where the importer reads and stores it.
/// </summary>
public static class DatasetLayout
{
    private const string AnnotationsFolder = "annotations";
    private const string CvatSplit = "default";

    private const string TrainFolder = "train";

    /// <summary>Split folders as exporters name them: train, and the others the importer reads as test (val is test, as everywhere).</summary>
    private static readonly HashSet<string> SplitFolderNames = new(StringComparer.OrdinalIgnoreCase) { TrainFolder, "valid", "val", "validation", "test" };

    /// <summary>The folder image paths are made relative to: the one above <c>annotations/</c>, else the annotation file's own.</summary>
    public static string RootOf(string annotationFile)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(annotationFile))!;
        return string.Equals(Path.GetFileName(folder), AnnotationsFolder, StringComparison.OrdinalIgnoreCase)
            ? Path.GetDirectoryName(folder)!
            : folder;
    }

    /// <summary>
    /// The folders an image of <paramref name="annotationFile"/> is looked for in, in order, the first being the one a
    /// missing image is expected in: beside the file; for a file in <c>annotations/</c>, then its split's folder
    /// (<c>instances_train2017.json</c>: <c>train2017/</c>), <c>images/</c> and the root.
    /// </summary>
    public static IReadOnlyList<string> ImageFolders(string annotationFile, string root)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(annotationFile))!;
        if (!string.Equals(Path.GetFileName(folder), AnnotationsFolder, StringComparison.OrdinalIgnoreCase))
        {
            return [folder, Path.Combine(folder, "images")];
        }

        var stem = Path.GetFileNameWithoutExtension(annotationFile);
        var splitName = stem.Contains('_') ? stem[(stem.IndexOf('_') + 1)..] : stem;
        var split = Path.Combine(root, splitName);
        var images = Path.Combine(root, "images");
        // Annotation files are rarely beside their images here: the layout's image folder is where a missing one is
        // expected, and when neither is there, the one the exporter writes (CVAT's instances_default.json: images/).
        var layout = new[] { split, images }.Where(Directory.Exists).ToList();
        return [.. layout.Count > 0 ? layout : [splitName == CvatSplit ? images : split], folder, root];
    }

    /// <summary>
    /// The manifest with every image's file found in <see cref="ImageFolders"/> (or only in <paramref name="imagesFolder"/>,
    /// relative to the root, when the user named it) and written relative to
    /// <paramref name="root"/>. A file found nowhere is written where the layout expects it (so a refusal names that
    /// place); a path that climbs out or is absolute is left as listed, for the importer to count as outside the root.
    /// </summary>
    public static DatasetManifest ResolveImages(DatasetManifest manifest, string annotationFile, string root, string? imagesFolder = null)
    {
        // A folder the user named is the only one looked in: no guess is better than the user's word.
        var folders = imagesFolder is null ? ImageFolders(annotationFile, root) : [Path.Combine(root, imagesFolder)];
        return manifest with
        {
            Images = [.. manifest.Images.Select(image =>
            {
                var file = image.File?.Replace('\\', '/');
                if (file is null || !IsPlainPath(file))
                {
                    return image;
                }

                var found = folders.Select(folder => Path.Combine(folder, file)).FirstOrDefault(File.Exists) ?? Path.Combine(folders[0], file);
                return image with { File = Path.GetRelativePath(root, found).Replace('\\', '/') };
            })],
        };
    }

    /// <summary>A relative path that stays inside its folder: no root, no empty, <c>.</c> or <c>..</c> part.</summary>
    public static bool IsPlainPath(string file) =>
        !file.StartsWith('/') && !Path.IsPathRooted(file) && !file.Split('/').Any(part => part is "" or "." or "..");

    /// <summary>
    /// Roboflow's layout: one annotation file name repeated in split folders (train/, valid/, test/) with exactly one
    /// train folder; the others are read as the test split. Null when the candidates are not that.
    /// </summary>
    public static DatasetDocuments? SplitFolders(IReadOnlyList<string> candidates)
    {
        if (candidates.Count < 2 || candidates.Select(Path.GetFileName).Distinct().Count() != 1
            || candidates.Select(path => Path.GetDirectoryName(Path.GetDirectoryName(path))).Distinct().Count() != 1
            || !candidates.All(path => SplitFolderNames.Contains(SplitFolderOf(path))))
        {
            return null;
        }

        var train = candidates.Where(path => SplitFolderOf(path).Equals(TrainFolder, StringComparison.OrdinalIgnoreCase)).ToList();
        // valid/ before test/: the order their images are listed in, and the ids kept apart (val-0, then test-0).
        var tests = candidates.Where(path => path != train.FirstOrDefault())
            .OrderBy(path => SplitFolderOf(path).Equals("test", StringComparison.OrdinalIgnoreCase))
            .ToList();
        return train.Count == 1 ? new DatasetDocuments(train[0], tests, Path.GetDirectoryName(Path.GetDirectoryName(train[0]))!) : null;
    }

    private static string SplitFolderOf(string path) => Path.GetFileName(Path.GetDirectoryName(path))!;
}
