namespace Pipeline.Contracts;

/// <summary>A box (x, y, width, height in pixels, top-left origin), a point (width and height 0) or an image-level class.</summary>
public sealed record ManifestAnnotation
{
    public required string CategoryId { get; init; }
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
}
