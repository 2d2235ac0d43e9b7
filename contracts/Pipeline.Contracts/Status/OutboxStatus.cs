namespace Pipeline.Contracts;

/// <summary>
/// One service's outbox as the status API's <c>GET /queues/outbox</c> shows it: messages committed and waiting for its
/// relay, and those parked for an operator. <see cref="Service"/> is empty for rows written before each row recorded
/// its service (the Orchestrator's relay delivers those).
/// </summary>
public sealed record OutboxStatus
{
    public required string Service { get; init; }
    public required long Waiting { get; init; }
    public required long ParkedCount { get; init; }

    /// <summary>The oldest parked rows, up to the API's limit.</summary>
    public required IReadOnlyList<ParkedOutboxMessage> Parked { get; init; }
}
