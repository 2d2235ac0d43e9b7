namespace Pipeline.Vision.Data;

/// <summary>An image decoded and stretched to a model's resolution: planar RGB bytes, with the original size.</summary>
public sealed record ResizedImage(string Id, byte[] Chw, int Width, int Height);
