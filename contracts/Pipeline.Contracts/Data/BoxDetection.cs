namespace Pipeline.Contracts;

public sealed record BoxDetection
{
    public required string CategoryId { get; init; }
    public required string CategoryName { get; init; }
    public double X { get; init; }
    public double Y { get; init; }
    public double Width { get; init; }
    public double Height { get; init; }
    public double Confidence { get; init; }
    public required Guid ModelId { get; init; }
}
