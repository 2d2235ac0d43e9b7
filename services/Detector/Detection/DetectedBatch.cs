namespace Pipeline.Detector.Detection;

public sealed record DetectedBatch(string DetectionsKey, int ImageCount, int DetectionCount);
