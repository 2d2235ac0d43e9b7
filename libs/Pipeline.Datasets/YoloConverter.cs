using System.Globalization;
using YamlDotNet.RepresentationModel;
using Pipeline.Datasets.Images;

namespace Pipeline.Datasets;

/// <summary>
/// A YOLO (Ultralytics) dataset to the manifest: <c>data.yaml</c> names the classes (<c>names</c>, a list or an
/// index-to-name map) and the image folders of <c>train</c>, <c>val</c> and the optional <c>test</c> (a folder or a list
/// of them, relative to <c>path</c> when it names a folder of the dataset, else to the YAML's folder). Each image's
/// labels are the <c>.txt</c> of the same name where the last <c>images</c> folder of its path is <c>labels</c>, one
/// <c>class cx cy w h</c> line per box, normalised to the image's size (a polygon line is read as its bounding box).
/// val and test are the test split, as everywhere in the pipeline. File paths are relative to the YAML's folder; class
/// ids are the category ids. Bad input throws <see cref="DatasetFormatException"/>.
/// </summary>
public static class YoloConverter
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp" };

    /// <param name="mayRead">Whether a file of the dataset may be opened (the caller's containment check); an image
    /// that may not be read, or whose header does not decode, is listed without boxes for the importer to refuse.</param>
    public static DatasetManifest ToManifest(string dataYaml, Func<string, bool> mayRead)
    {
        var yamlFolder = Path.GetDirectoryName(Path.GetFullPath(dataYaml))!;
        var root = Read(dataYaml);
        var categories = Names(root);
        var baseFolder = Text(root, "path") is { } path && !Path.IsPathRooted(path) && Directory.Exists(Path.Combine(yamlFolder, path))
            ? Path.GetFullPath(Path.Combine(yamlFolder, path))
            // An absolute path is the exporter's machine (/content/datasets/...): the dataset is where data.yaml is.
            : yamlFolder;

        var images = new List<ManifestImage>();
        foreach (var (key, split) in new[] { ("train", "train"), ("val", "test"), ("test", "test") })
        {
            var folders = Folders(root, key).Select(entry => Locate(entry, baseFolder, yamlFolder)).OfType<string>().ToList();
            if (key == "train" && folders.Count == 0)
            {
                throw new DatasetFormatException($"data.yaml names no train image folder that is in the dataset ({string.Join(", ", Folders(root, key))}).");
            }

            foreach (var image in folders.SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                         .Where(file => ImageExtensions.Contains(Path.GetExtension(file))).Order(StringComparer.Ordinal))
            {
                var file = Path.GetRelativePath(yamlFolder, image).Replace('\\', '/');
                images.Add(Image(file, image, split, categories, mayRead));
            }
        }

        return new DatasetManifest { Categories = categories, Images = images };
    }

    private static ManifestImage Image(string file, string path, string split, IReadOnlyList<Category> categories, Func<string, bool> mayRead)
    {
        var listed = new ManifestImage { Id = file, File = file, Split = split };
        var labels = LabelsOf(path);
        if (!File.Exists(labels))
        {
            // An image without a label file is a background image: no boxes, still trained on.
            return listed;
        }

        if (!mayRead(path) || !mayRead(labels) || HeaderOf(path) is not { } size)
        {
            // Boxes cannot be placed without the image's size; the importer counts the image under its reason.
            return listed;
        }

        var annotations = new List<ManifestAnnotation>();
        foreach (var (line, number) in File.ReadLines(labels).Select((line, index) => (line.Trim(), index + 1)).Where(pair => pair.Item1.Length > 0))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var values = parts.Skip(1).Select(part => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN).ToArray();
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var classId) || classId >= categories.Count
                || values.Length < 4 || (values.Length > 4 && values.Length % 2 != 0) || values.Any(double.IsNaN))
            {
                throw new DatasetFormatException($"YOLO label {Path.GetFileName(labels)} line {number} is not 'class cx cy w h' with a class of data.yaml's names: '{line}'.");
            }

            var (cx, cy, w, h) = values.Length == 4
                ? (values[0], values[1], values[2], values[3])
                : Bounds(values);
            annotations.Add(new ManifestAnnotation
            {
                CategoryId = categories[classId].Id,
                X = (cx - w / 2) * size.Width, Y = (cy - h / 2) * size.Height, Width = w * size.Width, Height = h * size.Height,
            });
        }

        return listed with { Width = size.Width, Height = size.Height, Annotations = annotations };
    }

    private static ImageHeader? HeaderOf(string path)
    {
        try
        {
            return BoundedImageDecoder.ReadHeader(path);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>A segmentation line's polygon (x1 y1 x2 y2 ...) as the centre and size of its bounding box.</summary>
    private static (double, double, double, double) Bounds(double[] points)
    {
        var xs = points.Where((_, i) => i % 2 == 0).ToArray();
        var ys = points.Where((_, i) => i % 2 == 1).ToArray();
        return ((xs.Min() + xs.Max()) / 2, (ys.Min() + ys.Max()) / 2, xs.Max() - xs.Min(), ys.Max() - ys.Min());
    }

    /// <summary>Ultralytics' rule: the last <c>images</c> folder of the path becomes <c>labels</c>, the extension <c>.txt</c>.</summary>
    private static string LabelsOf(string image)
    {
        var parts = Path.GetFullPath(image).Split(Path.DirectorySeparatorChar);
        // The file's own name is not a folder: the search starts at its parent.
        var last = Array.FindLastIndex(parts, parts.Length - 2, parts.Length - 1, part => part == "images");
        if (last >= 0)
        {
            parts[last] = "labels";
        }

        return Path.ChangeExtension(string.Join(Path.DirectorySeparatorChar, parts), ".txt");
    }

    /// <summary>
    /// A split's folder inside the dataset, or null where it is not there. Roboflow writes <c>../train/images</c>
    /// beside a data.yaml that lies in the dataset's root, so a path that climbs is also tried without its climb.
    /// </summary>
    private static string? Locate(string entry, string baseFolder, string yamlFolder)
    {
        if (Path.IsPathRooted(entry))
        {
            return null;
        }

        var trimmed = entry.Replace('\\', '/');
        while (trimmed.StartsWith("../", StringComparison.Ordinal))
        {
            trimmed = trimmed[3..];
        }

        foreach (var candidate in new[] { Path.Combine(baseFolder, entry), Path.Combine(yamlFolder, entry), Path.Combine(yamlFolder, trimmed) })
        {
            var full = Path.GetFullPath(candidate);
            if (Directory.Exists(full) && (full == yamlFolder || full.StartsWith(yamlFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                return full;
            }
        }

        return null;
    }

    private static YamlMappingNode Read(string path)
    {
        try
        {
            using var reader = File.OpenText(path);
            var stream = new YamlStream();
            stream.Load(reader);
            return stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
                ?? throw new DatasetFormatException("data.yaml is not a mapping of keys (names, train, val).");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new DatasetFormatException($"data.yaml is not valid YAML: {e.Message}");
        }
    }

    private static List<Category> Names(YamlMappingNode root)
    {
        var names = root.Children.TryGetValue(new YamlScalarNode("names"), out var node) ? node : null;
        var pairs = names switch
        {
            YamlSequenceNode list => list.Children.Select((item, index) => (Index: index, Name: (item as YamlScalarNode)?.Value)).ToList(),
            YamlMappingNode map => map.Children.Select(pair => (
                Index: int.TryParse((pair.Key as YamlScalarNode)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1,
                Name: (pair.Value as YamlScalarNode)?.Value)).ToList(),
            _ => throw new DatasetFormatException("data.yaml lacks 'names', a list of class names or a map of class index to name."),
        };
        if (pairs.Any(pair => pair.Index < 0 || string.IsNullOrEmpty(pair.Name))
            || !pairs.Select(pair => pair.Index).Order().SequenceEqual(Enumerable.Range(0, pairs.Count)))
        {
            throw new DatasetFormatException("data.yaml's 'names' must name every class index from 0, each once.");
        }

        return [.. pairs.OrderBy(pair => pair.Index).Select(pair => new Category
        {
            Id = pair.Index.ToString(CultureInfo.InvariantCulture), Name = pair.Name!, Type = CategoryType.Box,
        })];
    }

    private static string? Text(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    private static IEnumerable<string> Folders(YamlMappingNode root, string key) =>
        !root.Children.TryGetValue(new YamlScalarNode(key), out var node) ? []
        : node is YamlSequenceNode list ? list.Children.OfType<YamlScalarNode>().Select(item => item.Value).OfType<string>().Where(value => value.Length > 0)
        : Text(root, key) is { } single ? [single] : [];
}
