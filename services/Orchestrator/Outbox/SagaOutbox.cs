using Pipeline.Contracts;
using Marten;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator.Outbox;

/// <summary>The saga's side of the outbox and inbox: what its repository writes with each state, and what it skips.</summary>
public sealed class SagaOutbox(OutboxStore store, OutboxDelivery delivery)
{
    /// <summary>The inbox's name for the saga: a message id is remembered per consumer.</summary>
    public const string Consumer = StageQueues.Training;

    public Task PrepareAsync(CancellationToken cancellationToken) => store.EnsureCreatedAsync(cancellationToken);

    public Task<bool> WasConsumedAsync(Guid messageId, CancellationToken cancellationToken) =>
        store.WasConsumedAsync(Consumer, messageId, cancellationToken);

    public void Write(IDocumentSession session, OutboxBuffer buffer, Guid? messageId) => store.Write(session, buffer, Consumer, messageId);

    public void Committed(OutboxBuffer buffer) => delivery.Committed(buffer);
}
