namespace Pipeline.Contracts;

public sealed record DetectionsUploaded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public int ImageCount { get; init; }
    public int DetectionCount { get; init; }

    /// <summary>Artifact key of the COCO results export: the detections at or above the Uploader's MinConfidence.</summary>
    public required string ExportKey { get; init; }

    /// <summary>Artifact key of the COCO results of every detection, down to the evaluation's own threshold.</summary>
    public string? FullExportKey { get; init; }

    /// <summary>Artifact key of the test split's ground truth as COCO JSON (the image and category ids of the exports); null without test images.</summary>
    public string? GroundTruthKey { get; init; }

    /// <summary>
    /// mAP@0.5 of the full export against the test split's ground truth, read back from the written file; null when the
    /// detections did not cover every test image (DetectOn TrainImages or None) or there is no test split.
    /// </summary>
    public double? ExportedMeanAveragePrecision { get; init; }
}
