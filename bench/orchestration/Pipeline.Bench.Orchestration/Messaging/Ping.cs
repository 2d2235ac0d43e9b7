namespace Pipeline.Bench.Orchestration.Messaging;

/// <summary>The raw round trip's request: published by the client, answered by <see cref="PingConsumer"/> with a <see cref="Pong"/>.</summary>
public sealed record Ping
{
    public required Guid Id { get; init; }
}
