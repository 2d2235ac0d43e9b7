namespace Pipeline.Contracts;

/// <summary>A stage queue as the status API's <c>GET /queues</c> shows it: messages waiting, who consumes, and what failed.</summary>
public sealed record QueueStatus
{
    public required string Queue { get; init; }
    public required long Ready { get; init; }
    public required long Consumers { get; init; }
    public required long Failed { get; init; }

    /// <summary>Set when what waits in the _error queue needs a person: saga messages that are bad in themselves.</summary>
    public string? Alarm { get; init; }
}
