using Pipeline.Contracts;
using System.Text.Json;
using Marten;
using MassTransit;

namespace Pipeline.Outbox;

/// <summary>
/// The messages one unit of work decided to send, held until it is saved and then written in the same PostgreSQL
/// transaction as its documents. The saga's is a payload of the consume context while the outbox is on.
/// </summary>
public sealed class OutboxBuffer
{
    /// <summary>How a row's body is written and read again: as the bus writes the contracts.</summary>
    internal static readonly JsonSerializerOptions MessageJson = ContractJson.Configure(new JsonSerializerOptions());

    private readonly List<OutboxEntry> entries = [];

    public bool IsEmpty => entries.Count == 0;

    internal IReadOnlyList<OutboxEntry> Entries => entries;

    /// <summary>A command to the queue its type is mapped to (the stage queues' send conventions).</summary>
    public void Send<T>(T message)
        where T : class
    {
        if (!EndpointConvention.TryGetDestinationAddress<T>(out var address))
        {
            throw new InvalidOperationException($"No queue is mapped for {typeof(T).Name}; map it in StageQueues.");
        }

        entries.Add(new OutboxEntry(NewId.NextGuid(), address.ToString(), typeof(T), message));
    }

    public void Publish<T>(T message)
        where T : class =>
        entries.Add(new OutboxEntry(NewId.NextGuid(), "", typeof(T), message));

    /// <summary>
    /// Queues the inserts into the session, so they commit (or roll back) with whatever else it saves, each marked as
    /// the writing service's (its relay alone delivers them). Rows <paramref name="claimedFor"/> a while are left alone by
    /// the relays until then: the writer sends them itself.
    /// </summary>
    public void WriteTo(IDocumentSession session, OutboxStore store, TimeSpan? claimedFor)
    {
        foreach (var entry in entries)
        {
            session.QueueSqlCommand(
                $"insert into {store.MessagesTable} (message_id, destination, message_type, body, claimed_until, owner) " +
                "values (?, ?, ?, ?::jsonb, now() + make_interval(secs => ?), ?)",
                entry.MessageId, entry.Destination, OutboxStore.TypeName(entry.Type), JsonSerializer.Serialize(entry.Message, entry.Type, MessageJson),
                (claimedFor ?? TimeSpan.Zero).TotalSeconds, store.Owner);
        }
    }

    internal sealed record OutboxEntry(Guid MessageId, string Destination, Type Type, object Message);
}
