namespace Pipeline.Contracts;

/// <summary>
/// An outbox row its relay set aside because it cannot be sent as it is: its type no longer resolves, its body no longer
/// reads, the broker refuses it, or it failed too often. It waits, with its message id, until an operator un-parks it
/// (<c>pipeline outbox retry</c>, <c>POST /queues/outbox/{messageId}/retry</c>).
/// </summary>
public sealed record ParkedOutboxMessage
{
    public required Guid MessageId { get; init; }
    public required string MessageType { get; init; }

    /// <summary>The queue a command goes to; empty for a published event.</summary>
    public required string Destination { get; init; }

    public required int Attempts { get; init; }
    public required DateTimeOffset ParkedAt { get; init; }
    public required string Reason { get; init; }
}
