using Pipeline.Datasets.Images;
using SkiaSharp;

namespace Pipeline.Vision.Data;

/// <summary>Decodes images through the bounded decoder into planar RGB bytes at the model's resolution.</summary>
/// <remarks>
/// Evaluation decodes the whole test split every time it runs, so the only managed array made per image is the
/// CHW result: pixels are read from the native bitmap row by row, with no interleaved managed copy.
/// </remarks>
public static class ImageDecoder
{
    // Mipmaps make a large downscale average the pixels it drops, as a triangle filter would, instead of skipping them.
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Decodes <paramref name="path"/>, stretches it to size x size, and returns CHW bytes (3*size*size).</summary>
    /// <exception cref="InvalidDataException">the image is refused by <see cref="BoundedImageDecoder.Limits"/> or does not decode.</exception>
    public static byte[] LoadResizedChw(string path, int size, out int originalWidth, out int originalHeight) =>
        LoadResizedChw(path, size, new byte[3 * size * size], out originalWidth, out originalHeight);

    /// <summary>As above, into <paramref name="chw"/> (3*size*size bytes, reused by a caller that decodes many).</summary>
    public static byte[] LoadResizedChw(string path, int size, byte[] chw, out int originalWidth, out int originalHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(chw.Length, 3 * size * size);
        using var image = BoundedImageDecoder.Decode(path);
        originalWidth = image.Width;
        originalHeight = image.Height;
        if (image.Width == size && image.Height == size)
        {
            return ToChw(image, size, chw);
        }

        using var resized = image.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), Sampling)
            ?? throw new InvalidDataException($"{path} could not be resized to {size}x{size}");
        return ToChw(resized, size, chw);
    }

    /// <summary>
    /// The same for an encoded image held in memory (a detector node's request body); <paramref name="id"/> names it in
    /// a refusal.
    /// </summary>
    /// <exception cref="InvalidDataException">the image is refused by <see cref="BoundedImageDecoder.Limits"/> or does not decode.</exception>
    public static ResizedImage LoadResized(string id, byte[] encoded, int size)
    {
        using var image = BoundedImageDecoder.Decode(encoded);
        var chw = new byte[3 * size * size];
        if (image.Width == size && image.Height == size)
        {
            return new ResizedImage(id, ToChw(image, size, chw), image.Width, image.Height);
        }

        using var resized = image.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), Sampling)
            ?? throw new InvalidDataException($"could not be resized to {size}x{size}");
        return new ResizedImage(id, ToChw(resized, size, chw), image.Width, image.Height);
    }

    private static byte[] ToChw(SKBitmap image, int size, byte[] chw)
    {
        var plane = size * size;
        var rgba = image.GetPixelSpan();
        var stride = image.RowBytes;
        for (var y = 0; y < size; y++)
        {
            var row = rgba.Slice(y * stride, 4 * size);
            var offset = y * size;
            for (var x = 0; x < size; x++)
            {
                chw[offset + x] = row[4 * x];
                chw[plane + offset + x] = row[4 * x + 1];
                chw[2 * plane + offset + x] = row[4 * x + 2];
            }
        }

        return chw;
    }
}
