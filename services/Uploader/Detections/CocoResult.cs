namespace Pipeline.Uploader.Detections;

/// <summary>One entry of a COCO results file as read back: ids as text (numbers written as numbers read as their digits).</summary>
public sealed record CocoResult(string ImageId, string CategoryId, double X, double Y, double Width, double Height, double Score);
