using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;

namespace Pipeline.Orchestrator.Watchdog;

/// <summary>
/// Finds running stages whose deadline has passed (the deadline is in the saga's document, so it survives a
/// restart of the Orchestrator) and tells the saga with <see cref="StageTimedOut"/>. The saga decides: it sends
/// the stage again only if the training is still in that stage and attempt, and gives up after Stages:MaxAttempts.
/// </summary>
public sealed class StageWatchdog(
    IDocumentStore store, IServiceScopeFactory scopes, IOptions<WatchdogSettings> settings, IOptions<StageSettings> stages,
    IOptions<RabbitMqSettings> broker, TimeProvider clock, ILogger<StageWatchdog> logger)
    : BackgroundService
{
    // Retention is counted in days: looking for expired Failed trainings once a minute is plenty.
    private static readonly TimeSpan ExpiryCheckInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset nextExpiryCheck = DateTimeOffset.MinValue;

    // The (training, attempt) pairs already reported, so a slow saga queue is not flooded with the same finding.
    private readonly Dictionary<Guid, (int Attempt, DateTimeOffset At)> reported = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.Interval, clock);
        do
        {
            try
            {
                await CheckOnce(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested) // a timeout of a server's own is not the stop
            {
                // PostgreSQL or RabbitMQ away for a moment: the deadlines are still stored, the next round finds them.
                logger.LogWarning(exception, "The stage watchdog could not check the deadlines; trying again in {Interval}", settings.Value.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> CheckOnce(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var failedBefore = now - stages.Value.FailedRetention;
        IReadOnlyList<TrainingState> overdue;
        IReadOnlyList<Guid> expired = [];
        await using (var session = store.QuerySession())
        {
            overdue = await session.Query<TrainingState>()
                .Where(x => x.StageDeadline != null && x.StageDeadline < now)
                .ToListAsync(cancellationToken);
            if (now >= nextExpiryCheck)
            {
                expired = await session.Query<TrainingState>()
                    .Where(x => x.CurrentState == TrainingStates.Failed && x.ScratchDroppedAt == null && x.UpdatedAt < failedBefore)
                    .Select(x => x.CorrelationId)
                    .Take(100)
                    .ToListAsync(cancellationToken);
                nextExpiryCheck = now + ExpiryCheckInterval;
            }
        }

        var sent = 0;
        await using var scope = scopes.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
        foreach (var training in overdue)
        {
            if (reported.TryGetValue(training.CorrelationId, out var last) && last.Attempt == training.Attempt && now - last.At < settings.Value.Interval * 6)
            {
                continue;
            }

            var waiting = await CommandsWaitingAsync(training, cancellationToken);
            logger.LogWarning("{Stage} of {TrainingId} is silent past its deadline {Deadline} (attempt {Attempt}{Waiting})",
                training.CurrentState, training.CorrelationId, training.StageDeadline, training.Attempt,
                waiting is { } count ? $", never started, {count} commands waiting in its queue" : "");
            await sender.Send(new StageTimedOut
            {
                TrainingId = training.CorrelationId, Attempt = training.Attempt, Stage = training.CurrentState, CommandsWaiting = waiting,
            }, cancellationToken);
            reported[training.CorrelationId] = (training.Attempt, now);
            sent++;
        }

        // The saga re-checks the retention on its fresh state and tells the services once; a repeat finding is ignored.
        foreach (var trainingId in expired)
        {
            await sender.Send(new FailedTrainingExpired { TrainingId = trainingId }, cancellationToken);
        }

        foreach (var gone in reported.Where(entry => now - entry.Value.At > settings.Value.Interval * 60).Select(entry => entry.Key).ToList())
        {
            reported.Remove(gone);
        }

        return sent;
    }

    /// <summary>
    /// For a stage never started that has no queue timeout, how many commands wait in its queue (exact, by passive declare):
    /// the saga keeps waiting while there are some, and sends the stage again when there are none. Null for any other stage.
    /// </summary>
    private async Task<long?> CommandsWaitingAsync(TrainingState training, CancellationToken cancellationToken)
    {
        if (training.StageStartedAt is not null || stages.Value.QueueTimeoutOf(training.CurrentState) is not null
            || TrainingStages.Find(training.CurrentState) is not { } stage)
        {
            return null;
        }

        await using var connection = await broker.Value.ConnectAsync("orchestrator-watchdog", cancellationToken);
        return (await connection.CountAsync(stage.Queue, cancellationToken))?.Messages ?? 0;
    }
}
