namespace Pipeline.Bench.Orchestration.Messaging;

public sealed record Pong
{
    public required Guid Id { get; init; }
}
