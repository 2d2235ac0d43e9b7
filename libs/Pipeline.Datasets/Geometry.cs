namespace Pipeline.Datasets;

/// <summary>An axis-aligned box in pixels: top-left corner and size.</summary>
public readonly record struct Box(float X, float Y, float Width, float Height)
{
    public float Right => X + Width;
    public float Bottom => Y + Height;
    public float Area => Math.Max(0, Width) * Math.Max(0, Height);
    public float CenterX => X + Width / 2;
    public float CenterY => Y + Height / 2;

    public Box Scale(float sx, float sy) => new(X * sx, Y * sy, Width * sx, Height * sy);
}

public readonly record struct Point2(float X, float Y)
{
    public Point2 Scale(float sx, float sy) => new(X * sx, Y * sy);
}
