namespace Pipeline.Datasets;

/// <summary>One annotation: Box for box categories, Point for point categories, neither for classification.</summary>
public sealed record Annotation(string CategoryId, Box? Box = null, Point2? Point = null)
{
    /// <summary>The manifest's form: a box's X/Y/Width/Height, a point's X/Y, a classification neither.</summary>
    public ManifestAnnotation ToManifest() => new()
    {
        CategoryId = CategoryId,
        X = Box?.X ?? Point?.X ?? 0, Y = Box?.Y ?? Point?.Y ?? 0, Width = Box?.Width ?? 0, Height = Box?.Height ?? 0,
    };
}

public sealed record DatasetImage(string Id, string Path, int Width, int Height, DatasetSplit Split, IReadOnlyList<Annotation> Annotations);

/// <summary>
/// The in-memory dataset every loader produces: the contracts' categories (their order is the model's channel order),
/// and images with absolute paths.
/// </summary>
public sealed record VisionDataset(IReadOnlyList<Category> Categories, IReadOnlyList<DatasetImage> Images)
{
    public IReadOnlyList<DatasetImage> Train => Images.Where(i => i.Split == DatasetSplit.Train).ToList();
    public IReadOnlyList<DatasetImage> Test => Images.Where(i => i.Split == DatasetSplit.Test).ToList();

    /// <summary>What a training is evaluated on: the test split, or the train images where there is none.</summary>
    public IReadOnlyList<DatasetImage> EvaluationImages => Test is { Count: > 0 } test ? test : Train;

    /// <summary>The pipeline's manifest, file names relative to <paramref name="relativeTo"/>.</summary>
    public DatasetManifest ToManifest(string relativeTo) => new()
    {
        Categories = Categories,
        Images = Images.Select(i => new ManifestImage
        {
            Id = i.Id, File = System.IO.Path.GetRelativePath(relativeTo, i.Path).Replace('\\', '/'), Width = i.Width, Height = i.Height,
            Split = i.Split == DatasetSplit.Test ? "test" : "train",
            Annotations = i.Annotations.Select(a => a.ToManifest()).ToList(),
        }).ToList(),
    };
}
