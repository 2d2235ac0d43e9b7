namespace Pipeline.Contracts;

public sealed record DetectionStatus
{
    public required DetectionScope DetectOn { get; init; }
    public required int BatchCount { get; init; }
    public required int BatchesDetected { get; init; }
    public required int DetectionCount { get; init; }
    public required string? ExportKey { get; init; }

    /// <summary>Every detection down to the evaluation's own threshold, as COCO results: what the exported mAP is computed from.</summary>
    public string? FullExportKey { get; init; }

    /// <summary>The test split's ground truth as COCO JSON, for checking the exported mAP with a COCO evaluator.</summary>
    public string? GroundTruthKey { get; init; }

    /// <summary>mAP@0.5 of exactly what was exported (the full export against the test split), beside the evaluation's BestMetrics.</summary>
    public double? ExportedMeanAveragePrecision { get; init; }
}
