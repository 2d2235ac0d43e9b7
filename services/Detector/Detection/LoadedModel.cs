using Pipeline.Vision.Models;

namespace Pipeline.Detector.Detection;

/// <summary>A model in memory; <see cref="Gate"/> keeps one forward pass (or disposal) at a time.</summary>
public sealed class LoadedModel(Guid modelId, DetectorModel model) : IDisposable
{
    public Guid ModelId { get; } = modelId;
    public DetectorModel Model { get; } = model;
    public object Gate { get; } = new();

    public void Dispose()
    {
        lock (Gate)
        {
            Model.Dispose();
        }
    }
}
