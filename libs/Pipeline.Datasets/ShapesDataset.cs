using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Datasets;

public sealed record ShapesDatasetOptions
{
    public int Seed { get; init; } = 1;
    public int TrainImages { get; init; } = 400;
    public int TestImages { get; init; } = 100;
    /// <summary>Images are square, Size x Size pixels.</summary>
    public int Size { get; init; } = 128;
    public int MinShapes { get; init; } = 1;
    public int MaxShapes { get; init; } = 5;
    /// <summary>Unannotated rings and bars per image (0 up to this): a detector must learn to ignore them.</summary>
    public int MaxDistractors { get; init; } = 2;
    public int MinShapeSize { get; init; } = 10;
    public int MaxShapeSize { get; init; } = 36;
    /// <summary>Adds a point category "cross" whose annotation is the cross's centre.</summary>
    public bool IncludePointCategory { get; init; }
    /// <summary>Adds an image-level classification category "dark" for images on a dark background.</summary>
    public bool IncludeClassificationCategory { get; init; }
}

/// <summary>
/// A generated detection dataset: circles, squares and triangles in random colours on noisy gradient
/// backgrounds, deterministic from the seed. Colour says nothing about the category, so a detector must
/// learn shape; small shapes, unannotated distractors (rings, bars) and noise separate a good detector from a poor one.
/// </summary>
public static class ShapesDataset
{
    public const string CircleId = "circle", SquareId = "square", TriangleId = "triangle", CrossId = "cross", DarkId = "dark";
    private const int Circle = 1, Square = 2, Triangle = 3;
    private static readonly string[] ShapeIds = ["", CircleId, SquareId, TriangleId, CrossId];

    public static IReadOnlyList<Category> CategoriesFor(ShapesDatasetOptions options)
    {
        var categories = new List<Category>
        {
            new() { Id = CircleId, Name = "circle", Type = CategoryType.Box },
            new() { Id = SquareId, Name = "square", Type = CategoryType.Box },
            new() { Id = TriangleId, Name = "triangle", Type = CategoryType.Box },
        };
        if (options.IncludePointCategory)
        {
            categories.Add(new Category { Id = CrossId, Name = "cross", Type = CategoryType.Point });
        }

        if (options.IncludeClassificationCategory)
        {
            categories.Add(new Category { Id = DarkId, Name = "dark", Type = CategoryType.Classification });
        }

        return categories;
    }

    /// <summary>Writes PNGs under <paramref name="folder"/>/images, plus manifest.json and coco.json; returns the dataset.</summary>
    public static VisionDataset Generate(string folder, ShapesDatasetOptions? options = null)
    {
        options ??= new ShapesDatasetOptions();
        if (options.Size < 32)
        {
            throw new ArgumentException("Size must be at least 32", nameof(options));
        }

        if (options.MaxShapeSize * 2 > options.Size || options.MinShapeSize < 4 || options.MinShapeSize > options.MaxShapeSize)
        {
            throw new ArgumentException("shape sizes must satisfy 4 <= MinShapeSize <= MaxShapeSize <= Size/2", nameof(options));
        }

        Directory.CreateDirectory(Path.Combine(folder, "images"));
        var random = new Random(options.Seed);
        var images = new List<DatasetImage>();
        var total = options.TrainImages + options.TestImages;
        for (var i = 0; i < total; i++)
        {
            var split = i < options.TrainImages ? DatasetSplit.Train : DatasetSplit.Test;
            var id = $"{(split == DatasetSplit.Train ? "train" : "test")}-{i:D5}";
            var path = Path.GetFullPath(Path.Combine(folder, "images", id + ".png"));
            // One Random per image, seeded from the sequence: an image does not depend on how the others were drawn.
            var (pixels, annotations) = Draw(new Random(random.Next()), options);
            using (var image = Image.LoadPixelData<Rgb24>(pixels, options.Size, options.Size))
            {
                image.SaveAsPng(path);
            }

            images.Add(new DatasetImage(id, path, options.Size, options.Size, split, annotations));
        }
        var dataset = new VisionDataset(CategoriesFor(options), images);
        DatasetLoader.SaveManifest(dataset, Path.Combine(folder, "manifest.json"));
        DatasetLoader.SaveCoco(dataset, Path.Combine(folder, "coco.json"));
        return dataset;
    }

    private static (Rgb24[] Pixels, List<Annotation> Annotations) Draw(Random random, ShapesDatasetOptions options)
    {
        var size = options.Size;
        var dark = options.IncludeClassificationCategory ? random.NextDouble() < 0.4 : random.NextDouble() < 0.3;
        var canvas = Background(random, size, dark);
        var annotations = new List<Annotation>();
        if (options.IncludeClassificationCategory && dark)
        {
            annotations.Add(new Annotation(DarkId));
        }

        var placed = new List<Box>();
        var count = random.Next(options.MinShapes, options.MaxShapes + 1);
        for (var attempt = 0; placed.Count < count && attempt < 50; attempt++)
        {
            var kinds = options.IncludePointCategory ? 4 : 3;
            var kind = random.Next(kinds) + 1;
            if (RandomFreeSquare(random, options, size, placed) is not { } box)
            {
                continue;
            }

            var (x, y, s) = ((int)box.X, (int)box.Y, (int)box.Width);
            var colour = ContrastingColour(random, canvas, size, box);
            var inside = kind switch
            {
                Circle => (px, py) => Sq(px - (x + s / 2f)) + Sq(py - (y + s / 2f)) <= Sq(s / 2f),
                Square => (px, py) => px >= x && px < x + s && py >= y && py < y + s,
                Triangle => random.Next(2) == 0
                    ? InTriangle(new Point2(x + s / 2f, y), new Point2(x, y + s), new Point2(x + s, y + s))
                    : InTriangle(new Point2(x, y), new Point2(x + s, y), new Point2(x + s / 2f, y + s)),
                _ => Cross(x, y, s),
            };
            Fill(canvas, size, box, colour, inside);
            placed.Add(box);
            annotations.Add(ShapeIds[kind] == CrossId
                ? new Annotation(CrossId, Point: new Point2(x + s / 2f, y + s / 2f))
                : new Annotation(ShapeIds[kind], Box: box));
        }

        // Distractors: hollow rings and bars, drawn like the shapes but never annotated.
        var distractors = random.Next(0, options.MaxDistractors + 1);
        for (var attempt = 0; distractors > 0 && attempt < 30; attempt++)
        {
            if (RandomFreeSquare(random, options, size, placed) is not { } box)
            {
                continue;
            }

            var (x, y, s) = ((int)box.X, (int)box.Y, (int)box.Width);
            var colour = ContrastingColour(random, canvas, size, box);
            var (cx, cy, r) = (x + s / 2f, y + s / 2f, s / 2f);
            var thickness = Math.Max(1.5f, s / 8f);
            Func<float, float, bool> inside = random.Next(2) == 0
                ? (px, py) => Math.Abs(MathF.Sqrt(Sq(px - cx) + Sq(py - cy)) - (r - thickness)) <= thickness / 2 + 0.5f
                : (px, py) => px >= x && px < x + s && Math.Abs(py - cy) <= thickness;
            Fill(canvas, size, box, colour, inside);
            placed.Add(box);
            distractors--;
        }

        var noise = 4 + random.NextDouble() * 12;
        for (var i = 0; i < canvas.Length; i++)
        {
            canvas[i] = Clamp(canvas[i] + (float)(Gaussian(random) * noise));
        }

        var pixels = new Rgb24[size * size];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = new Rgb24((byte)canvas[3 * i], (byte)canvas[3 * i + 1], (byte)canvas[3 * i + 2]);
        }

        return (pixels, annotations);
    }

    private static float[] Background(Random random, int size, bool dark)
    {
        float[] Colour() => dark
            ? [random.Next(0, 80), random.Next(0, 80), random.Next(0, 80)]
            : [random.Next(90, 256), random.Next(90, 256), random.Next(90, 256)];
        var a = Colour();
        var b = Colour();
        var angle = random.NextDouble() * Math.PI * 2;
        var (dx, dy) = ((float)Math.Cos(angle), (float)Math.Sin(angle));
        // Low-frequency blotches on top of the gradient, so the background is not flat.
        var fx = random.NextDouble() * 0.15;
        var fy = random.NextDouble() * 0.15;
        var amplitude = random.Next(0, 25);
        var canvas = new float[size * size * 3];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
        {
            var t = Math.Clamp(((x - size / 2f) * dx + (y - size / 2f) * dy) / size + 0.5f, 0, 1);
            var wave = amplitude * (float)(Math.Sin(x * fx) * Math.Cos(y * fy));
            for (var c = 0; c < 3; c++)
                {
                    canvas[(y * size + x) * 3 + c] = Clamp(a[c] * (1 - t) + b[c] * t + wave);
                }
            }
        }

        return canvas;
    }

    private static float[] ContrastingColour(Random random, float[] canvas, int size, Box box)
    {
        var mean = new float[3];
        var n = 0;
        for (var y = (int)box.Y; y < (int)box.Bottom; y++)
        {
            for (var x = (int)box.X; x < (int)box.Right; x++, n++)
            {
                for (var c = 0; c < 3; c++)
                {
                    mean[c] += canvas[(y * size + x) * 3 + c];
                }
            }
        }

        for (var c = 0; c < 3; c++)
        {
            mean[c] /= Math.Max(1, n);
        }

        for (var attempt = 0; ; attempt++)
        {
            float[] colour = [random.Next(256), random.Next(256), random.Next(256)];
            var distance = Math.Sqrt(Sq(colour[0] - mean[0]) + Sq(colour[1] - mean[1]) + Sq(colour[2] - mean[2]));
            if (distance > 90 || attempt > 100)
            {
                return colour;
            }
        }
    }

    private static void Fill(float[] canvas, int size, Box box, float[] colour, Func<float, float, bool> inside)
    {
        // 4 samples per pixel: soft edges, so the box is not given away by aliasing.
        for (var y = (int)box.Y - 1; y <= (int)box.Bottom; y++)
        {
            for (var x = (int)box.X - 1; x <= (int)box.Right; x++)
        {
            if (x < 0 || y < 0 || x >= size || y >= size)
                {
                    continue;
                }

                var hits = 0;
            for (var sy = 0; sy < 2; sy++)
                {
                    for (var sx = 0; sx < 2; sx++)
                    {
                        if (inside(x + 0.25f + 0.5f * sx, y + 0.25f + 0.5f * sy))
                        {
                            hits++;
                        }
                    }
                }

                if (hits == 0)
                {
                    continue;
                }

                var alpha = hits / 4f;
            for (var c = 0; c < 3; c++)
            {
                ref var v = ref canvas[(y * size + x) * 3 + c];
                v = v * (1 - alpha) + colour[c] * alpha;
            }
        }
        }
    }

    private static Func<float, float, bool> InTriangle(Point2 a, Point2 b, Point2 c) => (px, py) =>
    {
        static float Sign(float px, float py, Point2 p, Point2 q) => (px - q.X) * (p.Y - q.Y) - (p.X - q.X) * (py - q.Y);
        var d1 = Sign(px, py, a, b);
        var d2 = Sign(px, py, b, c);
        var d3 = Sign(px, py, c, a);
        var negative = d1 < 0 || d2 < 0 || d3 < 0;
        var positive = d1 > 0 || d2 > 0 || d3 > 0;
        return !(negative && positive);
    };

    private static Func<float, float, bool> Cross(int x, int y, int s)
    {
        var t = Math.Max(2, s / 5f);
        var cx = x + s / 2f;
        var cy = y + s / 2f;
        return (px, py) => (Math.Abs(px - cx) <= t / 2 && py >= y && py < y + s) || (Math.Abs(py - cy) <= t / 2 && px >= x && px < x + s);
    }

    /// <summary>
    /// A square of a random size at a random place, or null where it would lie on a placed shape or within 2 pixels of
    /// one (the caller draws again). Its draws from <paramref name="random"/> are part of what a seed generates.
    /// </summary>
    private static Box? RandomFreeSquare(Random random, ShapesDatasetOptions options, int size, List<Box> placed)
    {
        var s = random.Next(options.MinShapeSize, options.MaxShapeSize + 1);
        var x = random.Next(1, size - s - 1);
        var y = random.Next(1, size - s - 1);
        var box = new Box(x, y, s, s);
        return placed.Any(p => Inflate(p, 2).Overlaps(box)) ? null : box;
    }

    private static Box Inflate(Box b, float by) => new(b.X - by, b.Y - by, b.Width + 2 * by, b.Height + 2 * by);
    private static bool Overlaps(this Box a, Box b) => a.X < b.Right && b.X < a.Right && a.Y < b.Bottom && b.Y < a.Bottom;
    private static float Sq(float v) => v * v;
    private static float Sq(double v) => (float)(v * v);
    private static float Clamp(float v) => Math.Clamp(v, 0, 255);

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
