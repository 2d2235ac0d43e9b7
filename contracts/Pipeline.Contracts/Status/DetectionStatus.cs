namespace Pipeline.Contracts;

public sealed record DetectionStatus(DetectionScope DetectOn, int BatchCount, int BatchesDetected, int DetectionCount, string? ExportKey);
