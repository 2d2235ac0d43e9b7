namespace Pipeline.Vision.Data;

public sealed record Category(int Id, string Name, CategoryType Type);

/// <summary>One annotation: Box for box categories, Point for point categories, neither for classification.</summary>
public sealed record Annotation(int CategoryId, Box? Box = null, Point2? Point = null);

public sealed record DatasetImage(string Id, string Path, int Width, int Height, DatasetSplit Split, IReadOnlyList<Annotation> Annotations);

/// <summary>The in-memory dataset every loader produces: categories, and images with absolute paths.</summary>
public sealed record VisionDataset(IReadOnlyList<Category> Categories, IReadOnlyList<DatasetImage> Images)
{
    public IReadOnlyList<DatasetImage> Train => Images.Where(i => i.Split == DatasetSplit.Train).ToList();
    public IReadOnlyList<DatasetImage> Test => Images.Where(i => i.Split == DatasetSplit.Test).ToList();

    public DatasetManifest ToManifest(string relativeTo) => new()
    {
        Categories = Categories.Select(c => new ManifestCategory { Id = c.Id, Name = c.Name, Type = c.Type }).ToList(),
        Images = Images.Select(i => new ManifestImage
        {
            Id = i.Id, File = System.IO.Path.GetRelativePath(relativeTo, i.Path), Width = i.Width, Height = i.Height, Split = i.Split,
            Annotations = i.Annotations.Select(a => new ManifestAnnotation
            {
                CategoryId = a.CategoryId,
                Box = a.Box is { } b ? new ManifestBox { X = b.X, Y = b.Y, Width = b.Width, Height = b.Height } : null,
                Point = a.Point is { } p ? new ManifestPoint { X = p.X, Y = p.Y } : null,
            }).ToList(),
        }).ToList(),
    };
}
