using System.Diagnostics;
using System.Globalization;
using Pipeline.Datasets.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

// Decode speed of the bounded SkiaSharp decoder against ImageSharp (the decoder it replaced), on the same images in
// the same run: photographs-like noise plus gradients as JPEG and PNG, each decoded whole to 8-bit RGB(A).
var options = Arguments.Parse(args);
var random = new Random(options.Seed);
var images = new List<(string Format, byte[] Bytes)>();
foreach (var format in new[] { "jpeg", "png" })
{
    for (var i = 0; i < options.Images; i++)
    {
        using var image = new Image<Rgb24>(options.Width, options.Height);
        for (var y = 0; y < options.Height; y++)
        {
            for (var x = 0; x < options.Width; x++)
            {
                var noise = random.Next(40);
                image[x, y] = new Rgb24((byte)(x * 255 / options.Width / 2 + noise), (byte)(y * 255 / options.Height / 2 + noise), (byte)(noise * 3));
            }
        }

        using var stream = new MemoryStream();
        if (format == "jpeg")
        {
            image.SaveAsJpeg(stream);
        }
        else
        {
            image.SaveAsPng(stream);
        }

        images.Add((format, stream.ToArray()));
    }
}

var limits = new ImageLimits();
Console.WriteLine($"dotnet run -c Release --project bench/decode/Pipeline.Bench.Decode -- {string.Join(' ', args)}");
Console.WriteLine($"{options.Images} images per format, {options.Width}x{options.Height}, {options.Rounds} rounds (median), 1 thread");
Console.WriteLine($"{"format",-6} {"ImageSharp ms/img",18} {"SkiaSharp ms/img",17} {"Skia/ImageSharp",16}");
foreach (var format in new[] { "jpeg", "png" })
{
    var set = images.Where(i => i.Format == format).Select(i => i.Bytes).ToList();
    // Both decoders once before timing: JIT and the native library's first load are not decode speed.
    Time(set, bytes => { using var i = SixLabors.ImageSharp.Image.Load<Rgb24>(bytes); });
    Time(set, bytes => { using var b = BoundedImageDecoder.Decode(bytes, limits); });
    var imageSharp = new List<double>();
    var skia = new List<double>();
    for (var round = 0; round < options.Rounds; round++)
    {
        // Alternated, so drift of the machine during the run falls on both alike.
        imageSharp.Add(Time(set, bytes => { using var i = SixLabors.ImageSharp.Image.Load<Rgb24>(bytes); }));
        skia.Add(Time(set, bytes => { using var b = BoundedImageDecoder.Decode(bytes, limits); }));
    }

    var (sharpMedian, skiaMedian) = (Median(imageSharp), Median(skia));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{format,-6} {sharpMedian,18:0.000} {skiaMedian,17:0.000} {skiaMedian / sharpMedian,16:0.00}"));
}

static double Time(List<byte[]> set, Action<byte[]> decode)
{
    var clock = Stopwatch.StartNew();
    foreach (var bytes in set)
    {
        decode(bytes);
    }

    return clock.Elapsed.TotalMilliseconds / set.Count;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

internal sealed record Arguments(int Images, int Width, int Height, int Rounds, int Seed)
{
    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments(Images: 50, Width: 640, Height: 480, Rounds: 7, Seed: 1);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            parsed = args[i] switch
            {
                "--images" => parsed with { Images = value },
                "--width" => parsed with { Width = value },
                "--height" => parsed with { Height = value },
                "--rounds" => parsed with { Rounds = value },
                "--seed" => parsed with { Seed = value },
                var other => throw new ArgumentException($"unknown option {other}: --images N --width N --height N --rounds N --seed N"),
            };
        }

        return parsed;
    }
}
