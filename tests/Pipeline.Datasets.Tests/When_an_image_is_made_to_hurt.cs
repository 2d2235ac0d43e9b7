using System.Diagnostics;
using Pipeline.Datasets.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Datasets.Tests;

/// <summary>The bounded decoder every service decodes untrusted images with: judged by the header, decoded whole or not at all.</summary>
public sealed class When_an_image_is_made_to_hurt
{
    [Fact]
    public void A_png_declaring_20000_by_20000_pixels_is_refused_in_under_a_second_with_under_100_MB_of_memory_growth()
    {
        var png = HostileImages.PngDeclaring(20_000, 20_000);
        using var process = Process.GetCurrentProcess();
        var workingSet = process.WorkingSet64;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();

        var refusal = Assert.Throws<InvalidDataException>(() => BoundedImageDecoder.Decode(png, new ImageLimits()));

        clock.Stop();
        process.Refresh();
        Assert.Equal("is 20000x20000 pixels (400 MP), over Images:MaxMegapixels (40)", refusal.Message);
        Assert.True(png.Length < 1000, $"{png.Length} bytes");
        // Decoding it would take 1.6 GB; the refusal reads a header. Bounds far above what it costs, far below a decode.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(process.WorkingSet64 - workingSet < 100_000_000, $"working set grew {(process.WorkingSet64 - workingSet) / 1e6:0} MB");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocated < 100_000_000, "managed allocations over 100 MB");
    }

    [Fact]
    public void A_truncated_jpeg_is_refused_rather_than_half_decoded()
    {
        var refusal = Assert.Throws<InvalidDataException>(() => BoundedImageDecoder.Decode(HostileImages.TruncatedJpeg(), new ImageLimits()));

        Assert.Equal("a 256x256 jpeg is truncated: it ends before its last row", refusal.Message);
    }

    [Fact]
    public void A_format_not_in_Formats_is_refused_by_its_header_and_decoded_once_allowed()
    {
        var refusal = Assert.Throws<InvalidDataException>(() => BoundedImageDecoder.Decode(HostileImages.Gif(), new ImageLimits()));
        using var allowed = BoundedImageDecoder.Decode(HostileImages.Gif(), new ImageLimits { Formats = ["gif"] });

        Assert.Equal("is gif, which is not in Images:Formats (jpeg, png, bmp, webp)", refusal.Message);
        Assert.Equal((1, 1), (allowed.Width, allowed.Height));
    }

    [Fact]
    public void Bytes_that_are_no_image_are_refused()
    {
        var refusal = Assert.Throws<InvalidDataException>(() => BoundedImageDecoder.Decode("this is not a PNG"u8.ToArray(), new ImageLimits()));

        Assert.Equal("is not an image in a format SkiaSharp reads", refusal.Message);
    }

    [Fact]
    public void MaxMegapixels_is_the_bound_on_width_times_height()
    {
        var png = HostileImages.PngDeclaring(2000, 1000);

        Assert.Equal(new ImageHeader(2000, 1000, "png"), BoundedImageDecoder.ReadHeader(png, new ImageLimits { MaxMegapixels = 2 }));
        Assert.Throws<InvalidDataException>(() => BoundedImageDecoder.ReadHeader(png, new ImageLimits { MaxMegapixels = 1.99 }));
    }

    [Fact]
    public void A_png_decodes_to_its_pixels()
    {
        using var stream = new MemoryStream();
        using (var image = new Image<Rgb24>(3, 2, new Rgb24(200, 100, 50)))
        {
            image.SaveAsPng(stream);
        }

        using var decoded = BoundedImageDecoder.Decode(stream.ToArray(), new ImageLimits());

        Assert.Equal((3, 2), (decoded.Width, decoded.Height));
        var pixel = decoded.GetPixel(2, 1);
        Assert.Equal((200, 100, 50), (pixel.Red, pixel.Green, pixel.Blue));
    }
}
