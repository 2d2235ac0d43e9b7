namespace Pipeline.Uploader;

public sealed class UploaderSettings
{
    public const string Section = "Uploader";

    /// <summary>
    /// Detections below this confidence are left out of the stored detections and detections.coco.json; the full
    /// export (detections.all.coco.json) keeps them all, down to the evaluation's own threshold.
    /// </summary>
    public float MinConfidence { get; set; } = 0.3f;

    /// <summary>Evaluated images copied into the export with their ground truth and detections, for the training page.</summary>
    public int SampleImages { get; set; } = 6;
}
