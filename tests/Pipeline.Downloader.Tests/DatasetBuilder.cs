using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Contracts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Downloader.Tests;

/// <summary>Builds a small dataset on disk: real PNGs written by ImageSharp, a manifest or COCO JSON, archives of it.</summary>
public sealed class DatasetBuilder : IDisposable
{
    public DatasetBuilder()
    {
        Root = Path.Combine(Path.GetTempPath(), "downloader-tests", Guid.NewGuid().ToString("N"));
        Folder = Path.Combine(Root, "dataset");
        Directory.CreateDirectory(Folder);
    }

    public string Root { get; }

    public string Folder { get; }

    public List<Category> Categories { get; } =
    [
        new() { Id = "1", Name = "cat" },
        new() { Id = "2", Name = "dog" },
    ];

    public List<ManifestImage> Images { get; } = [];

    public DatasetBuilder AddImage(string id, string split = "train", int width = 16, int height = 12, bool withSha = false, bool writeSize = true)
    {
        var file = $"images/{id}.png";
        var path = Path.Combine(Folder, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var image = new Image<Rgb24>(width, height, new Rgb24(10, 200, 30)))
        {
            image.SaveAsPng(path);
        }

        Images.Add(new ManifestImage
        {
            Id = id, File = file, Split = split,
            Width = writeSize ? width : 0, Height = writeSize ? height : 0,
            Sha256 = withSha ? Sha256Of(path) : null,
            Annotations =
            [
                new ManifestAnnotation { CategoryId = "1", X = 1, Y = 2, Width = 5, Height = 4 },
                new ManifestAnnotation { CategoryId = "2", X = 6, Y = 3, Width = 4, Height = 4 },
            ],
        });
        return this;
    }

    public DatasetBuilder AddCorruptImage(string id, string split = "train")
    {
        var file = $"images/{id}.png";
        var path = Path.Combine(Folder, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5, 6, 7]);
        Images.Add(new ManifestImage { Id = id, File = file, Split = split });
        return this;
    }

    public string WriteManifest()
    {
        var path = Path.Combine(Folder, "manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new DatasetManifest { Categories = Categories, Images = Images }, ContractJson.Files));
        return path;
    }

    /// <summary>COCO instances JSON with numeric ids; the image's split goes into the "split" field unless it is train.</summary>
    public string WriteCoco(string name = "instances.json")
    {
        var coco = new
        {
            images = Images.Select((image, index) => image.Split == "train"
                ? (object)new { id = index + 1, file_name = image.File }
                : new { id = index + 1, file_name = image.File, width = image.Width, height = image.Height, split = image.Split }),
            annotations = Images.SelectMany((image, index) => image.Annotations.Select(a => new
            {
                id = 0, image_id = index + 1, category_id = int.Parse(a.CategoryId), bbox = new[] { a.X, a.Y, a.Width, a.Height }, iscrowd = 0,
            })),
            categories = Categories.Select(c => new { id = int.Parse(c.Id), name = c.Name }),
        };
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, JsonSerializer.Serialize(coco));
        return path;
    }

    /// <summary>Zips the dataset folder under a top folder, as users' archives usually are.</summary>
    public string Zip(params (string Name, string Content)[] extra)
    {
        var path = Path.Combine(Root, "dataset.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var file in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            zip.CreateEntryFromFile(file, "top/" + Path.GetRelativePath(Folder, file).Replace('\\', '/'));
        }

        foreach (var (name, content) in extra)
        {
            using var writer = new StreamWriter(zip.CreateEntry(name).Open());
            writer.Write(content);
        }

        return path;
    }

    public string TarGz(params TarEntry[] extra)
    {
        var path = Path.Combine(Root, "dataset.tar.gz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var source in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            tar.WriteEntry(source, Path.GetRelativePath(Folder, source).Replace('\\', '/'));
        }

        foreach (var entry in extra)
        {
            tar.WriteEntry(entry);
        }

        return path;
    }

    public static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
