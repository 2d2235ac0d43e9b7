using Marten;
using MassTransit;
using MassTransit.Saga;
using Microsoft.Extensions.Options;
using Pipeline.Orchestrator.Outbox;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>
/// Opens one lightweight Marten session per consumed message; the saga is loaded, run and written in it.
/// No identity map or dirty tracking: the repository context says exactly what is written, and with which revision.
/// With the outbox on, a message whose id the inbox holds has had its effects committed already: it is acknowledged
/// and nothing runs again (what it sent is in the outbox, or delivered). The inbox is read only on a retry: a copy
/// that arrives first in this process runs, its commit fails on the inbox row's key, and the retry finds it there,
/// so the common case pays no extra round trip.
/// </summary>
public sealed class MartenSagaRepositoryContextFactory<TSaga>(
    IDocumentStore store, ISagaConsumeContextFactory<IDocumentSession, TSaga> factory, SagaInstanceCache<TSaga> cache,
    SagaOutbox sagaOutbox, IOptions<OutboxSettings> outboxSettings,
    ILogger<MartenSagaRepositoryContextFactory<TSaga>> logger)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISagaVersion
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        var outbox = outboxSettings.Value.Enabled ? sagaOutbox : null;
        if (outbox is not null)
        {
            await outbox.PrepareAsync(context.CancellationToken).ConfigureAwait(false);
            if (context.GetRetryAttempt() > 0 && context.MessageId is { } messageId
                && await outbox.WasConsumedAsync(messageId, context.CancellationToken).ConfigureAwait(false))
            {
                logger.LogInformation("{MessageType} {MessageId} was consumed already: acknowledged, not run again", typeof(T).Name, messageId);
                return;
            }
        }

        await using var session = store.LightweightSession();
        var repositoryContext = new MartenSagaRepositoryContext<TSaga, T>(session, context, factory, cache, outbox);
        await next.Send(repositoryContext).ConfigureAwait(false);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await using var session = store.LightweightSession();
        var instances = await session.Query<TSaga>().Where(query.FilterExpression).ToListAsync(context.CancellationToken).ConfigureAwait(false);
        var repositoryContext = new MartenSagaRepositoryContext<TSaga, T>(session, context, factory, cache, outboxSettings.Value.Enabled ? sagaOutbox : null);
        await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances)).ConfigureAwait(false);
    }

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        ExecuteQuery(asyncMethod, cancellationToken);

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        ExecuteQuery(asyncMethod, cancellationToken);

    public void Probe(ProbeContext context) => context.Add("persistence", "marten (Pipeline.Orchestrator, numeric revisions)");

    private async Task<T> ExecuteQuery<T>(Func<MartenSagaQueryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await asyncMethod(new MartenSagaQueryContext<TSaga>(session, cancellationToken)).ConfigureAwait(false);
    }
}
