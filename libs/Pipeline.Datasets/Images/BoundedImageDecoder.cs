using SkiaSharp;

namespace Pipeline.Datasets.Images;

/// <summary>
/// The one way untrusted images are decoded (refusals are InvalidDataException), with SkiaSharp: the header is read first, and an image whose declared
/// size is over <see cref="ImageLimits.MaxMegapixels"/> or whose format is not allowed is refused before a pixel
/// buffer exists (a 100-byte PNG can declare 20000x20000 pixels, 1.6 GB to decode). Only a decode that completes
/// counts: a truncated file is refused here, not half-read by a trainer later.
/// </summary>
public static class BoundedImageDecoder
{
    /// <summary>
    /// The process's limits, set once at start from configuration (<see cref="ImageLimits.From"/>): decoding happens deep
    /// in the Trainer's and Detector's parallel loops, and one process has one policy.
    /// </summary>
    public static ImageLimits Limits { get; set; } = new();

    /// <summary>Width, height and format from the header alone, checked against the limits.</summary>
    public static ImageHeader ReadHeader(byte[] bytes, ImageLimits? limits = null)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = Open(data, limits ?? Limits);
        return HeaderOf(codec);
    }

    /// <summary>The same, read by Skia from the file: a converter that needs only sizes reads no pixel and copies no file.</summary>
    public static ImageHeader ReadHeader(string path, ImageLimits? limits = null)
    {
        using var data = SKData.Create(path) ?? throw new InvalidDataException("cannot be read");
        using var codec = Open(data, limits ?? Limits);
        return HeaderOf(codec);
    }

    /// <summary>The whole image as unpremultiplied RGBA, 8 bits a channel; the caller disposes it.</summary>
    public static SKBitmap Decode(byte[] bytes, ImageLimits? limits = null)
    {
        using var data = SKData.CreateCopy(bytes);
        return Decode(data, limits ?? Limits);
    }

    /// <summary>
    /// The same, read by Skia straight from the file: the Trainer decodes every image of every batch, and a managed copy
    /// of each would be garbage for the collector at every step.
    /// </summary>
    public static SKBitmap Decode(string path, ImageLimits? limits = null)
    {
        using var data = SKData.Create(path) ?? throw new FileNotFoundException($"{path} cannot be read", path);
        return Decode(data, limits ?? Limits);
    }

    private static SKBitmap Decode(SKData data, ImageLimits limits)
    {
        using var codec = Open(data, limits);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                ? $"{Describe(codec)} is truncated: it ends before its last row"
                : $"{Describe(codec)} does not decode ({result})");
        }

        return bitmap;
    }

    private static SKCodec Open(SKData data, ImageLimits limits)
    {
        var codec = SKCodec.Create(data) ?? throw new InvalidDataException("is not an image in a format SkiaSharp reads");
        try
        {
            var header = HeaderOf(codec);
            if (!limits.AllowedFormats.Contains(header.Format, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"is {header.Format}, which is not in Images:Formats ({string.Join(", ", limits.AllowedFormats)})");
            }

            var megapixels = (double)header.Width * header.Height / 1_000_000;
            if (megapixels > limits.MaxMegapixels)
            {
                var message = $"is {header.Width}x{header.Height} pixels ({megapixels:0.#} MP), over Images:MaxMegapixels ({limits.MaxMegapixels})";
                throw new InvalidDataException(message, new ImageTooLargeException(message));
            }

            return codec;
        }
        catch
        {
            codec.Dispose();
            throw;
        }
    }

    private static ImageHeader HeaderOf(SKCodec codec) =>
        new(codec.Info.Width, codec.Info.Height, codec.EncodedFormat.ToString().ToLowerInvariant());

    private static string Describe(SKCodec codec) => $"a {codec.Info.Width}x{codec.Info.Height} {HeaderOf(codec).Format}";
}

/// <summary>What an image's header says, before any decoding.</summary>
public sealed record ImageHeader(int Width, int Height, string Format);

/// <summary>
/// The inner exception of an image refused for its declared size alone, so a dataset can count it as too large rather
/// than unreadable (InvalidDataException, which every caller catches, is sealed).
/// </summary>
public sealed class ImageTooLargeException(string message) : Exception(message);
