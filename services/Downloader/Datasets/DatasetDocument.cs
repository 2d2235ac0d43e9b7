using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// The dataset's annotation files: one, or a train file with the files read as its test split (COCO's val file beside
/// it, Roboflow's valid/ and test/), and the folder the images' paths are made relative to (<see cref="DatasetLayout"/>).
/// </summary>
public sealed record DatasetDocuments(string Train, IReadOnlyList<string>? Tests = null, string? Root = null)
{
    /// <summary>The folder, relative to <see cref="Folder"/>, the user named as the images' (BeginTraining.ImagesFolder).</summary>
    public string? ImagesFolder { get; init; }

    /// <summary>The folder the images' paths are relative to.</summary>
    public string Folder => Root ?? DatasetLayout.RootOf(Train);
}

/// <summary>Finds the dataset's JSON in a folder and reads it as a <see cref="DatasetManifest"/>, converting COCO.</summary>
public static class DatasetDocument
{
    public const string ManifestFileName = "manifest.json";

    // Archives usually wrap the dataset in one top folder; looking two levels down covers that without a crawl.
    private const int SearchDepth = 3;

    /// <summary>
    /// The dataset's annotation file inside <paramref name="folder"/> (a manifest, a COCO or Label Studio JSON, YOLO's
    /// data.yaml, or for VOC the <c>Annotations/</c> folder): the shallowest one, never a guess between two; for COCO, an
    /// <c>instances_train*.json</c> with one <c>instances_val*.json</c> beside it, or Roboflow's split folders, are the
    /// train and test split.
    /// </summary>
    public static DatasetDocuments Locate(string folder, DatasetFormat format)
    {
        var level = new List<string> { folder };
        for (var depth = 0; depth < SearchDepth && level.Count > 0; depth++)
        {
            var candidates = (format == DatasetFormat.PascalVoc
                    ? level.Select(dir => Path.Combine(dir, PascalVocConverter.AnnotationsFolder)).Where(Directory.Exists)
                    : level.SelectMany(Directory.EnumerateFiles).Where(path => IsCandidate(Path.GetFileName(path), format)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (format == DatasetFormat.Coco && (TrainAndVal(candidates) ?? DatasetLayout.SplitFolders(candidates)) is { } pair)
            {
                return pair;
            }

            if (format is DatasetFormat.Coco or DatasetFormat.Yolo && candidates.Count > 1)
            {
                // Several files: prefer the conventional names before giving up.
                var named = candidates.Where(path => Path.GetFileName(path) is "annotations.json" or "coco.json" or "data.yaml" or "data.yml"
                    || (format == DatasetFormat.Coco && Path.GetFileName(path).StartsWith("instances", StringComparison.Ordinal))).ToList();
                candidates = named.Count == 1 ? named : candidates;
            }

            if (candidates.Count == 1)
            {
                return Single(candidates[0], format);
            }

            if (candidates.Count > 1)
            {
                throw new StageInputException(
                    $"Dataset folder holds several {format} candidates ({string.Join(", ", candidates.Select(path => Path.GetRelativePath(folder, path)))}); point DatasetUri at one of them.");
            }

            level = level.SelectMany(Directory.EnumerateDirectories).ToList();
        }

        throw new StageInputException(format switch
        {
            DatasetFormat.Manifest => $"Dataset has no {ManifestFileName} (for a COCO JSON set DatasetFormat to Coco).",
            DatasetFormat.Coco => "Dataset has no COCO JSON file.",
            DatasetFormat.Yolo => "Dataset has no YOLO data.yaml.",
            DatasetFormat.PascalVoc => $"Dataset has no Pascal VOC {PascalVocConverter.AnnotationsFolder}/ folder.",
            _ => $"Dataset has no {format} JSON file.",
        });
    }

    /// <summary>
    /// One annotation file: a COCO file's images are found as its layout says (<see cref="DatasetLayout.RootOf"/>); the
    /// other formats' paths are relative to the file's folder, VOC's to the folder holding <c>Annotations/</c>.
    /// </summary>
    public static DatasetDocuments Single(string path, DatasetFormat format) => format == DatasetFormat.Coco
        ? new DatasetDocuments(path)
        : new DatasetDocuments(path, Root: Path.GetDirectoryName(Path.GetFullPath(path)));

    /// <summary>One manifest of all the files: the val file's images in the test split, its categories joined to the train file's.</summary>
    /// <param name="mayRead">Whether a file the annotations lead to may be opened (the caller's containment check):
    /// YOLO reads each image's header to place its boxes, and label files beside it.</param>
    public static async Task<DatasetManifest> ReadAsync(
        DatasetDocuments documents, DatasetFormat format, Func<string, bool> mayRead, CancellationToken cancellationToken)
    {
        if (documents.ImagesFolder is { } named && (format is DatasetFormat.Yolo or DatasetFormat.PascalVoc || !DatasetLayout.IsPlainPath(named.Replace('\\', '/'))))
        {
            throw new StageInputException(format is DatasetFormat.Yolo or DatasetFormat.PascalVoc
                ? $"ImagesFolder does not apply to {format}, whose layout names its image folders."
                : $"ImagesFolder '{named}' is not a plain path inside the dataset.");
        }

        var manifest = await ReadAsync(documents.Train, documents.Folder, format, "train", mayRead, documents.ImagesFolder, cancellationToken);

        foreach (var path in documents.Tests ?? [])
        {
            var test = await ReadAsync(path, documents.Folder, format, "test", mayRead, null, cancellationToken);
            // Where ids repeat, the file's own kind names them apart: val-1 from a val file, test-1 from a test one.
            var kind = Path.GetRelativePath(documents.Folder, path).Contains("test", StringComparison.OrdinalIgnoreCase) ? "test-" : "val-";
            manifest = Join(manifest, test, kind);
        }

        return manifest;
    }

    /// <summary>A training's dataset with its separate test dataset: every image of the first trains, every one of the second tests.</summary>
    public static DatasetManifest WithTestSet(DatasetManifest train, DatasetManifest test) =>
        Join(train with { Images = [.. train.Images.Select(image => image with { Split = "train" })] }, test, "test-");

    // COCO numbers images per file: where the test file's ids repeat the train file's, its ids are kept apart by a prefix.
    private static DatasetManifest Join(DatasetManifest train, DatasetManifest test, string idPrefix)
    {
        var ids = train.Images.Select(image => image.Id).ToHashSet();
        var prefix = test.Images.Any(image => ids.Contains(image.Id)) ? idPrefix : "";

        var categories = train.Categories.ToDictionary(category => category.Id);
        foreach (var category in test.Categories.Where(category => !categories.ContainsKey(category.Id)))
        {
            categories[category.Id] = category;
        }

        return new DatasetManifest
        {
            Categories = [.. categories.Values],
            Images = [.. train.Images, .. test.Images.Select(image => image with { Id = prefix + image.Id, Split = "test" })],
        };
    }

    private static async Task<DatasetManifest> ReadAsync(
        string path, string root, DatasetFormat format, string defaultSplit, Func<string, bool> mayRead, string? imagesFolder,
        CancellationToken cancellationToken)
    {
        try
        {
            switch (format)
            {
                case DatasetFormat.Yolo:
                    return YoloConverter.ToManifest(path, mayRead);
                case DatasetFormat.PascalVoc:
                    return PascalVocConverter.ToManifest(root, mayRead);
            }

            await using var stream = File.OpenRead(path);
            if (format is DatasetFormat.Coco or DatasetFormat.LabelStudio)
            {
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
                var converted = format == DatasetFormat.Coco
                    ? CocoConverter.ToManifest(document.RootElement, defaultSplit)
                    : LabelStudioConverter.ToManifest(document.RootElement);
                return DatasetLayout.ResolveImages(converted, path, root, imagesFolder);
            }

            var manifest = await JsonSerializer.DeserializeAsync<DatasetManifest>(stream, ContractJson.Files, cancellationToken);
            if (manifest is null || manifest.Categories is null || manifest.Images is null
                || manifest.Images.Any(image => image is null) || manifest.Categories.Any(category => category is null))
            {
                throw new StageInputException($"Manifest '{Path.GetFileName(path)}' lacks its categories or images.");
            }

            // A manifest's paths are relative to it, unless the user named the images' folder.
            return imagesFolder is null ? manifest : DatasetLayout.ResolveImages(manifest, path, root, imagesFolder);
        }
        catch (JsonException e)
        {
            throw new StageInputException($"Dataset file '{Path.GetFileName(path)}' is not valid {format} JSON: {e.Message}", e);
        }
        catch (DatasetFormatException e)
        {
            // No retry fixes a malformed dataset file: fault at once, with the converter's message.
            throw new StageInputException(e.Message, e);
        }
    }

    private static DatasetDocuments? TrainAndVal(List<string> candidates)
    {
        var train = candidates.Where(path => Path.GetFileName(path).StartsWith("instances_train", StringComparison.Ordinal)).ToList();
        var val = candidates.Where(path => Path.GetFileName(path).StartsWith("instances_val", StringComparison.Ordinal)).ToList();
        return train.Count == 1 && val.Count == 1 ? new DatasetDocuments(train[0], [val[0]]) : null;
    }

    private static bool IsCandidate(string fileName, DatasetFormat format) => !fileName.StartsWith('.') && format switch
    {
        DatasetFormat.Manifest => fileName == ManifestFileName,
        DatasetFormat.Yolo => fileName.EndsWith(".yaml", StringComparison.Ordinal) || fileName.EndsWith(".yml", StringComparison.Ordinal),
        _ => fileName != ManifestFileName && fileName.EndsWith(".json", StringComparison.Ordinal),
    };
}
