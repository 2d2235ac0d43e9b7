using Pipeline.Vision.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Vision.Tests;

public sealed class When_an_image_is_decoded : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("vision-data-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Png_and_jpeg_decode_to_planar_rgb_at_the_asked_size()
    {
        using (var image = new Image<Rgb24>(8, 4, new Rgb24(200, 100, 50)))
        {
            image.SaveAsPng(Path.Combine(folder, "x.png"));
            image.SaveAsJpeg(Path.Combine(folder, "x.jpg"));
        }

        var png = ImageDecoder.LoadResizedChw(Path.Combine(folder, "x.png"), 16, out var width, out var height);
        var jpeg = ImageDecoder.LoadResizedChw(Path.Combine(folder, "x.jpg"), 16, out _, out _);

        Assert.Equal((8, 4), (width, height));
        Assert.Equal(3 * 16 * 16, png.Length);
        Assert.Equal([200, 100, 50], new[] { png[0], png[256], png[512] });
        Assert.InRange(jpeg[0], 195, 205); // JPEG is lossy
    }
}
