using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pipeline.Vision.Data;

/// <summary>Decodes PNG/JPEG with ImageSharp into planar RGB bytes at the model's resolution.</summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/>, stretches it to size x size, and returns CHW bytes (3*size*size).</summary>
    public static byte[] LoadResizedChw(string path, int size, out int originalWidth, out int originalHeight)
    {
        using var image = Image.Load<Rgb24>(path);
        return ResizedChw(image, size, out originalWidth, out originalHeight);
    }

    public static byte[] ResizedChw(Image<Rgb24> source, int size, out int originalWidth, out int originalHeight)
    {
        originalWidth = source.Width;
        originalHeight = source.Height;
        using var image = source.Width == size && source.Height == size
            ? source.Clone()
            : source.Clone(x => x.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Triangle }));
        var pixels = new Rgb24[size * size];
        image.CopyPixelDataTo(pixels);
        var plane = size * size;
        var chw = new byte[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            chw[i] = pixels[i].R;
            chw[plane + i] = pixels[i].G;
            chw[2 * plane + i] = pixels[i].B;
        }
        return chw;
    }
}
