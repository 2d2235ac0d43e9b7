namespace Pipeline.Contracts;

public sealed record ModelFile
{
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    public long Length { get; init; }
}
