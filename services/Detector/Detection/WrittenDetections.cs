namespace Pipeline.Detector.Detection;

/// <summary>One batch's detections, written to the artifact store at <see cref="DetectionsKey"/>, and what they count.</summary>
public sealed record WrittenDetections(string DetectionsKey, int ImageCount, int DetectionCount);
