using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Datasets.Tests;

/// <summary>Image files made to hurt a decoder, built byte by byte where no encoder would write them.</summary>
public static class HostileImages
{
    /// <summary>A real 1x1 PNG whose header says <paramref name="width"/> x <paramref name="height"/>: a few hundred bytes.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var stream = new MemoryStream();
        using (var image = new Image<Rgb24>(1, 1))
        {
            image.SaveAsPng(stream);
        }

        var png = stream.ToArray();
        // Signature (8), then IHDR: length (4), "IHDR" (4), width (4), height (4), ... and a CRC over type and data.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>A JPEG of noise, <paramref name="size"/> pixels square, cut off at half its bytes: mid-scan, past its tables.</summary>
    public static byte[] TruncatedJpeg(int size = 256)
    {
        using var stream = new MemoryStream();
        var random = new Random(7);
        using (var image = new Image<Rgb24>(size, size))
        {
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }

            image.SaveAsJpeg(stream);
        }

        return stream.ToArray()[..(int)(stream.Length / 2)];
    }

    /// <summary>The smallest GIF (1x1), a format the decoder reads but the default limits do not allow.</summary>
    public static byte[] Gif() => Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    // PNG's CRC-32 (ISO 3309, polynomial 0xEDB88320), as the format's specification writes it.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
