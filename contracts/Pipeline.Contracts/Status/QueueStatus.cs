namespace Pipeline.Contracts;

/// <summary>A stage queue as the status API's <c>GET /queues</c> shows it: messages waiting, who consumes, and what failed.</summary>
public sealed record QueueStatus(string Queue, long Ready, long Consumers, long Failed);
