using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Contracts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>Small datasets written on the fly: a square on a plain background per image, in the manifest format.</summary>
public static class TestDatasets
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static readonly Category Square = new() { Id = "square", Name = "square" };

    /// <summary>A folder with manifest.json and <paramref name="images"/> PNGs, the last <paramref name="corrupt"/> of them not images at all.</summary>
    public static string Write(string folder, int images = 6, int corrupt = 0)
    {
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        var entries = new List<ManifestImage>();
        for (var i = 0; i < images; i++)
        {
            var file = $"images/{i:D3}.png";
            var path = Path.Combine(folder, file);
            if (i >= images - corrupt)
            {
                File.WriteAllText(path, "this is not a PNG");
            }
            else
            {
                using var image = new Image<Rgb24>(48, 48, new Rgb24(30, 30, 30));
                for (var y = 10 + i; y < 24 + i; y++)
                {
                    for (var x = 8; x < 22; x++)
                    {
                        image[x, y] = new Rgb24(220, 200, 40);
                    }
                }

                image.SaveAsPng(path);
            }

            entries.Add(new ManifestImage
            {
                Id = $"image-{i:D3}", File = file, Split = i % 3 == 2 ? "test" : "train",
                Annotations = [new ManifestAnnotation { CategoryId = Square.Id, X = 8, Y = 10 + i, Width = 14, Height = 14 }],
            });
        }

        File.WriteAllText(Path.Combine(folder, "manifest.json"), JsonSerializer.Serialize(new DatasetManifest { Categories = [Square], Images = entries }, Json));
        return folder;
    }

    /// <summary>A zip holding a valid dataset plus one entry that climbs out of the folder it is extracted into.</summary>
    public static string WriteZipWithTraversal(string folder)
    {
        var dataset = Write(Path.Combine(folder, "dataset"));
        var zipPath = Path.Combine(folder, "dataset.zip");
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in Directory.EnumerateFiles(dataset, "*", SearchOption.AllDirectories))
        {
            zip.CreateEntryFromFile(file, Path.GetRelativePath(dataset, file));
        }

        using var evil = new StreamWriter(zip.CreateEntry("../../escaped.txt").Open());
        evil.Write("outside");
        return zipPath;
    }
}
