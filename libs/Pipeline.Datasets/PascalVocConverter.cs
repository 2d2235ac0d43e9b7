using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Pipeline.Datasets;

/// <summary>
/// A Pascal VOC dataset to the manifest: one <c>Annotations/&lt;id&gt;.xml</c> per image (its <c>filename</c> in
/// <c>JPEGImages/</c>, its <c>size</c>, and an <c>object</c> per box: <c>name</c> and <c>bndbox</c> xmin ymin xmax ymax),
/// with <c>ImageSets/Main/val.txt</c> and <c>test.txt</c>, when present, naming the test split (val is test, as
/// everywhere in the pipeline); every other image trains. A box is X = xmin, Width = xmax - xmin. Category ids are the
/// class names. File paths are relative to the root, the folder holding <c>Annotations/</c>.
/// </summary>
public static class PascalVocConverter
{
    public const string AnnotationsFolder = "Annotations";
    private const string ImagesFolder = "JPEGImages";

    /// <param name="mayRead">Whether a file of the dataset may be opened (the caller's containment check).</param>
    public static DatasetManifest ToManifest(string root, Func<string, bool> mayRead)
    {
        var test = new[] { "val.txt", "test.txt" }
            .Select(name => Path.Combine(root, "ImageSets", "Main", name))
            .Where(path => File.Exists(path) && mayRead(path))
            .SelectMany(File.ReadLines)
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);

        var images = new List<ManifestImage>();
        foreach (var xml in Directory.EnumerateFiles(Path.Combine(root, AnnotationsFolder), "*.xml").Order(StringComparer.Ordinal).Where(mayRead))
        {
            var id = Path.GetFileNameWithoutExtension(xml);
            var annotation = Load(xml).Root;
            if (annotation?.Name.LocalName != "annotation")
            {
                throw new DatasetFormatException($"VOC file {Path.GetFileName(xml)} has no <annotation> root.");
            }

            var fileName = annotation.Element("filename")?.Value.Trim() is { Length: > 0 } name ? name : id + ".jpg";
            images.Add(new ManifestImage
            {
                Id = id,
                // A filename that climbs out stays as written, for the importer to count as outside the root.
                File = fileName.Contains('/') || fileName.Contains('\\') ? fileName : $"{ImagesFolder}/{fileName}",
                Width = Integer(annotation.Element("size")?.Element("width"), xml),
                Height = Integer(annotation.Element("size")?.Element("height"), xml),
                Split = test.Contains(id) ? "test" : "train",
                Annotations = [.. annotation.Elements("object").Select(item => Box(item, xml))],
            });
        }

        return new DatasetManifest
        {
            Categories = [.. images.SelectMany(image => image.Annotations).Select(a => a.CategoryId).Distinct().Order(StringComparer.Ordinal)
                .Select(name => new Category { Id = name, Name = name, Type = CategoryType.Box })],
            Images = images,
        };
    }

    private static ManifestAnnotation Box(XElement item, string xml)
    {
        var name = item.Element("name")?.Value.Trim();
        var box = item.Element("bndbox");
        if (string.IsNullOrEmpty(name) || box is null)
        {
            throw new DatasetFormatException($"VOC file {Path.GetFileName(xml)} has an <object> without <name> or <bndbox>.");
        }

        var (xmin, ymin, xmax, ymax) = (Number(box, "xmin", xml), Number(box, "ymin", xml), Number(box, "xmax", xml), Number(box, "ymax", xml));
        return new ManifestAnnotation { CategoryId = name, X = xmin, Y = ymin, Width = xmax - xmin, Height = ymax - ymin };
    }

    private static XDocument Load(string path)
    {
        // No DTD and no resolver: an annotation file is untrusted, and entities are how XML reaches outside itself.
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        try
        {
            return XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new DatasetFormatException($"VOC file {Path.GetFileName(path)} is not valid XML: {e.Message}");
        }
    }

    private static double Number(XElement box, string name, string xml) =>
        double.TryParse(box.Element(name)?.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new DatasetFormatException($"VOC file {Path.GetFileName(xml)} has a <bndbox> whose <{name}> is not a number.");

    // A missing size is 0: the importer fills in the decoded size.
    private static int Integer(XElement? element, string xml) =>
        element is null ? 0
        : int.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new DatasetFormatException($"VOC file {Path.GetFileName(xml)} has a <size> that is not a whole number.");
}
