namespace Pipeline.Uploader.Detections;

public sealed record RecordedDetections(int ImageCount, int DetectionCount, string ExportKey);
