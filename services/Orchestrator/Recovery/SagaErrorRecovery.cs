using Marten;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Messaging;

namespace Pipeline.Orchestrator.Recovery;

/// <summary>
/// Brings back to training-state the saga messages that went to training-state_error only because PostgreSQL (or
/// RabbitMQ) was away longer than Retry:OutageBudget (their _error copy names an outage's exception, as
/// <see cref="TransientFaults.IsTransientNamed"/> reads it), once PostgreSQL answers again: a BeginTraining, Cancel or Stop is never lost
/// to an outage. They move with publisher confirms (<see cref="ErrorQueueReplayer"/>). Any other message there is bad in
/// itself: it stays, counted in <see cref="BadMessages"/> and shown as an alarm by <c>GET /queues</c>.
/// </summary>
public sealed class SagaErrorRecovery(
    IDocumentStore store, IOptions<RabbitMqSettings> rabbit, IOptions<SagaRecoverySettings> settings, ILogger<SagaErrorRecovery> logger)
    : BackgroundService
{
    private static readonly ReplayRequest Request = new(StageQueues.Training) { Where = message => TransientFaults.IsTransientNamed(message.FaultExceptionType, message.FaultMessage) };

    /// <summary>Messages left in training-state_error after the last pass: bad in themselves, no waiting brings them back.</summary>
    public long BadMessages { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.Interval);
        do
        {
            try
            {
                await RecoverOnceAsync(stoppingToken);
            }
            // Only the service's stop ends the loop: a broker frozen under an open connection times the channel's open
            // out with an OperationCanceledException of RabbitMQ.Client's own, which ended the Orchestrator (exit code 0).
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A server away again: what was not moved is still in the error queue for the next pass.
                logger.LogWarning(e, "Could not bring saga messages back from {ErrorQueue}; trying again in {Interval}", Request.ErrorQueue, settings.Value.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task RecoverOnceAsync(CancellationToken cancellationToken)
    {
        if (await CountAsync(cancellationToken) == 0)
        {
            BadMessages = 0;
            return;
        }

        if (!await PostgresAnswersAsync(cancellationToken))
        {
            return;
        }

        var result = await new ErrorQueueReplayer(rabbit.Value, "orchestrator-saga-recovery").ReplayAsync(Request, cancellationToken);
        if (result.Moved > 0)
        {
            logger.LogWarning("Brought {Moved} saga message(s) back from {ErrorQueue} to {Queue}: they outlasted their retries on an outage or a conflict",
                result.Moved, result.ErrorQueue, StageQueues.Training);
        }

        BadMessages = await CountAsync(cancellationToken);
        if (BadMessages > 0)
        {
            logger.LogError("{Count} saga message(s) stay in {ErrorQueue}: their fault is not an outage; see 'pipeline replay {Queue} --dry-run'",
                BadMessages, result.ErrorQueue, StageQueues.Training);
        }
    }

    private async Task<bool> PostgresAnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var session = store.QuerySession();
            await session.QueryAsync<int>("select 1", cancellationToken);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "PostgreSQL does not answer yet: the saga's error queue waits");
            return false;
        }
    }

    /// <summary>Messages in training-state_error, by passive declare (exact, unlike the management API's samples); 0 when it does not exist.</summary>
    private async Task<uint> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await rabbit.Value.ConnectAsync("orchestrator-saga-recovery", cancellationToken);
        return (uint)((await connection.CountAsync(Request.ErrorQueue, cancellationToken))?.Messages ?? 0);
    }
}
