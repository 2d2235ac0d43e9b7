namespace Pipeline.Contracts;

/// <summary>A detector node's answer to <c>POST /detect</c>: one image's detections and the model that found them.</summary>
public sealed record NodeDetections
{
    public required Guid ModelId { get; init; }
    public required int ModelVersion { get; init; }
    public required ImageDetections Detections { get; init; }
}
