namespace Pipeline.Vision.Training;

/// <summary>Geometric augmentation of annotations; the pixels move the same way in <see cref="BatchBuilder"/>.</summary>
public static class Augmentation
{
    public static Box FlipLeftRight(Box box, float imageWidth) => box with { X = imageWidth - box.X - box.Width };
    public static Box FlipUpDown(Box box, float imageHeight) => box with { Y = imageHeight - box.Y - box.Height };
    public static Point2 FlipLeftRight(Point2 point, float imageWidth) => point with { X = imageWidth - point.X };
    public static Point2 FlipUpDown(Point2 point, float imageHeight) => point with { Y = imageHeight - point.Y };

    /// <summary>Moves an annotation from an image of width x height to the model's square resolution, then flips it.</summary>
    public static Annotation ToModelInput(Annotation annotation, int width, int height, int resolution, bool flipRl, bool flipUd)
    {
        float sx = (float)resolution / width, sy = (float)resolution / height;
        if (annotation.Box is { } box)
        {
            var b = box.Scale(sx, sy);
            if (flipRl)
            {
                b = FlipLeftRight(b, resolution);
            }

            if (flipUd)
            {
                b = FlipUpDown(b, resolution);
            }

            return annotation with { Box = b };
        }
        if (annotation.Point is { } point)
        {
            var p = point.Scale(sx, sy);
            if (flipRl)
            {
                p = FlipLeftRight(p, resolution);
            }

            if (flipUd)
            {
                p = FlipUpDown(p, resolution);
            }

            return annotation with { Point = p };
        }
        return annotation;
    }

    /// <summary>Flips planar CHW pixels (channels x size x size) into <paramref name="destination"/> as normalised floats.</summary>
    public static void CopyNormalised(ReadOnlySpan<byte> chw, Span<float> destination, int size, bool flipRl, bool flipUd)
    {
        var plane = size * size;
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < size; y++)
        {
            var sourceRow = c * plane + (flipUd ? size - 1 - y : y) * size;
            var targetRow = c * plane + y * size;
            for (var x = 0; x < size; x++)
                {
                    destination[targetRow + x] = (chw[sourceRow + (flipRl ? size - 1 - x : x)] - 127.5f) / 64f;
                }
            }
        }
    }
}
