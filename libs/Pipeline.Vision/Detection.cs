using Pipeline.Vision.Data;

namespace Pipeline.Vision;

/// <summary>
/// One detection, in the original image's pixels: a box for box categories, a point for point categories,
/// neither for an image-level classification.
/// </summary>
public sealed record Detection(int CategoryId, string CategoryName, CategoryType CategoryType, float Confidence, Box? Box = null, Point2? Point = null);

public sealed record ImageDetections(string ImageId, int Width, int Height, IReadOnlyList<Detection> Detections);
