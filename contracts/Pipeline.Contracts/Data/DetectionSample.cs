namespace Pipeline.Contracts;

/// <summary>One image of <see cref="DetectionSamples"/>: its copy beside the samples file, what it holds and what the model found.</summary>
public sealed record DetectionSample
{
    public required string ImageId { get; init; }

    /// <summary>The copy's file name, beside the samples file.</summary>
    public required string File { get; init; }

    public int Width { get; init; }
    public int Height { get; init; }
    public IReadOnlyList<ManifestAnnotation> GroundTruth { get; init; } = [];

    /// <summary>The detections at or above the Uploader's MinConfidence (those stored and shown).</summary>
    public required ImageDetections Detections { get; init; }
}
