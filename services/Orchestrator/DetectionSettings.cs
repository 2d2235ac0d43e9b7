namespace Pipeline.Orchestrator;

public sealed class DetectionSettings
{
    public const string Section = "Detection";

    /// <summary>Images per <c>DetectImages</c> command; each batch goes to whichever Detector replica is free.</summary>
    public int BatchSize { get; set; } = 16;
}
