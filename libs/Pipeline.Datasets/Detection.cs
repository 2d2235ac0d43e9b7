namespace Pipeline.Datasets;

/// <summary>
/// One detection, in the original image's pixels: a box for box categories, a point for point categories,
/// neither for an image-level classification. The library's own form (boxes for NMS and evaluation);
/// <see cref="DetectedImage.ToContracts"/> gives the pipeline's.
/// </summary>
public sealed record Detection(string CategoryId, string CategoryName, CategoryType CategoryType, float Confidence, Box? Box = null, Point2? Point = null);

/// <summary>What a model found in one image, with the image's original size.</summary>
public sealed record DetectedImage(string ImageId, int Width, int Height, IReadOnlyList<Detection> Detections)
{
    /// <summary>The pipeline's <see cref="ImageDetections"/>: boxes, points and classifications, each with the model's id.</summary>
    public ImageDetections ToContracts(Guid modelId) => new()
    {
        ImageId = ImageId,
        Boxes = Detections.Where(d => d.Box is not null).Select(d => new BoxDetection
        {
            CategoryId = d.CategoryId, CategoryName = d.CategoryName, X = d.Box!.Value.X, Y = d.Box.Value.Y,
            Width = d.Box.Value.Width, Height = d.Box.Value.Height, Confidence = d.Confidence, ModelId = modelId,
        }).ToList(),
        Points = Detections.Where(d => d.Point is not null).Select(d => new PointDetection
        {
            CategoryId = d.CategoryId, CategoryName = d.CategoryName, X = d.Point!.Value.X, Y = d.Point.Value.Y, Confidence = d.Confidence, ModelId = modelId,
        }).ToList(),
        Classifications = Detections.Where(d => d.Box is null && d.Point is null).Select(d => new ClassificationDetection
        {
            CategoryId = d.CategoryId, CategoryName = d.CategoryName, Confidence = d.Confidence, ModelId = modelId,
        }).ToList(),
    };
}
