using Marten;
using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Pipeline.Orchestrator.Outbox;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>
/// Reads and writes one saga instance for one consumed message.
/// A new instance is inserted (a second insert of the same id fails: the message is retried and finds it);
/// an existing one is written only if nobody wrote it since it was loaded (Marten's numeric revision, held
/// in <see cref="ISagaVersion.Version"/>); otherwise Marten raises a concurrency exception and the endpoint's
/// retry runs the message again on the fresh state. Instances are never deleted: a finished training stays as history.
/// With the transactional outbox on, the messages the saga decided to send and the consumed message's inbox row are
/// written in the same transaction as the instance: all three commit, or none does. A saved instance stays in the
/// process's <see cref="SagaInstanceCache{TSaga}"/> for the training's next message.
/// </summary>
public sealed class MartenSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    private readonly IDocumentSession session;
    private readonly ISagaConsumeContextFactory<IDocumentSession, TSaga> factory;
    private readonly SagaInstanceCache<TSaga> cache;
    private readonly SagaOutbox? outbox;
    private readonly OutboxBuffer? buffer;

    public MartenSagaRepositoryContext(
        IDocumentSession session, ConsumeContext<TMessage> consumeContext, ISagaConsumeContextFactory<IDocumentSession, TSaga> factory,
        SagaInstanceCache<TSaga> cache, SagaOutbox? outbox)
        : base(consumeContext)
    {
        this.session = session;
        this.factory = factory;
        this.cache = cache;
        this.outbox = outbox;
        if (outbox is not null)
        {
            // Found by the saga's activities through the consume context (OutboxContextExtensions).
            buffer = new OutboxBuffer();
            AddOrUpdatePayload(() => buffer, _ => buffer);
        }
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(session, context, instance, mode);

    /// <summary>A new instance, stored by <see cref="Save"/> once the message has run.</summary>
    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(session, this, instance, SagaConsumeContextMode.Add);

    /// <summary>Stores a new instance before the message runs; null when it exists already, so the caller loads it.</summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        try
        {
            // Stored ahead of the message's effects: the inbox row and the sends come with the later update.
            await InsertAsync(instance, completesMessage: false).ConfigureAwait(false);
        }
        catch (JasperFx.DocumentAlreadyExistsException)
        {
            return default!;
        }

        return await factory.CreateSagaConsumeContext(session, this, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = cache.Take(correlationId) ?? await session.LoadAsync<TSaga>(correlationId, CancellationToken).ConfigureAwait(false);
        return instance is null
            ? default!
            : await factory.CreateSagaConsumeContext(session, this, instance, SagaConsumeContextMode.Load).ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => InsertAsync(context.Saga, completesMessage: true);

    public async Task Update(SagaConsumeContext<TSaga> context)
    {
        var instance = context.Saga;
        var revision = instance.Version + 1;
        // Marten rejects the write with a ConcurrencyException when the stored revision is already >= this one.
        session.UpdateRevision(instance, revision);
        WriteOutbox();
        try
        {
            await session.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        }
        catch (JasperFx.ConcurrencyException)
        {
            SagaRepositoryMetrics.ConflictDetected(typeof(TSaga).Name);
            throw;
        }

        instance.Version = revision;
        cache.Saved(instance);
        outbox?.Committed(buffer!);
    }

    /// <summary>Finished trainings are history, not garbage: a finalized instance is written like any other.</summary>
    public Task Delete(SagaConsumeContext<TSaga> context) => Update(context);

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    private async Task InsertAsync(TSaga instance, bool completesMessage)
    {
        instance.Version = 1;
        session.Insert(instance);
        if (completesMessage)
        {
            WriteOutbox();
        }

        await session.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        if (completesMessage)
        {
            cache.Saved(instance);
            outbox?.Committed(buffer!);
        }
    }

    private void WriteOutbox()
    {
        if (outbox is not null)
        {
            outbox.Write(session, buffer!, MessageId);
        }
    }
}
