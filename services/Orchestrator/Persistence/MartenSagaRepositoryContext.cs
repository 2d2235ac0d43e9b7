using Marten;
using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>
/// Reads and writes one saga instance for one consumed message.
/// A new instance is inserted (a second insert of the same id fails: the message is retried and finds it);
/// an existing one is written only if nobody wrote it since it was loaded (Marten's numeric revision, held
/// in <see cref="ISagaVersion.Version"/>); otherwise Marten raises a concurrency exception and the endpoint's
/// retry runs the message again on the fresh state. Instances are never deleted: a finished training stays as history.
/// </summary>
public sealed class MartenSagaRepositoryContext<TSaga, TMessage>(
    IDocumentSession session, ConsumeContext<TMessage> consumeContext, ISagaConsumeContextFactory<IDocumentSession, TSaga> factory)
    : ConsumeContextScope<TMessage>(consumeContext), SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
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
            await InsertAsync(instance).ConfigureAwait(false);
        }
        catch (JasperFx.DocumentAlreadyExistsException)
        {
            return default!;
        }

        return await factory.CreateSagaConsumeContext(session, this, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await session.LoadAsync<TSaga>(correlationId, CancellationToken).ConfigureAwait(false);
        return instance is null
            ? default!
            : await factory.CreateSagaConsumeContext(session, this, instance, SagaConsumeContextMode.Load).ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => InsertAsync(context.Saga);

    public async Task Update(SagaConsumeContext<TSaga> context)
    {
        var instance = context.Saga;
        var revision = instance.Version + 1;
        // Marten rejects the write with a ConcurrencyException when the stored revision is already >= this one.
        session.UpdateRevision(instance, revision);
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
    }

    /// <summary>Finished trainings are history, not garbage: a finalized instance is written like any other.</summary>
    public Task Delete(SagaConsumeContext<TSaga> context) => Update(context);

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    private async Task InsertAsync(TSaga instance)
    {
        instance.Version = 1;
        session.Insert(instance);
        await session.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
    }
}
