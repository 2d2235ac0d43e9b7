namespace Pipeline.Contracts;

public sealed record Category
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public CategoryType Type { get; init; } = CategoryType.Box;
}
