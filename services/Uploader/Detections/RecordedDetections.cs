namespace Pipeline.Uploader.Detections;

public sealed record RecordedDetections(int ImageCount, int DetectionCount, string ExportKey)
{
    public string? FullExportKey { get; init; }
    public string? GroundTruthKey { get; init; }
    public double? ExportedMeanAveragePrecision { get; init; }
}
