namespace Pipeline.Contracts;

public sealed record ClassificationDetection
{
    public required string CategoryId { get; init; }
    public required string CategoryName { get; init; }
    public double Confidence { get; init; }
    public required Guid ModelId { get; init; }
}
