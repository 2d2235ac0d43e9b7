using System.Collections.Concurrent;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Outbox;

/// <summary>
/// Delivers this service's committed outbox rows to RabbitMQ with publisher confirms, with the service's own broker
/// account: rows another service wrote are that service's relay's, whose account may send them. It never holds a
/// database transaction across the network: it claims a batch for <see cref="OutboxSettings.ClaimLease"/> in one
/// statement that commits, sends each row (bounded by <see cref="OutboxSettings.SendTimeout"/>), then deletes the
/// confirmed ones. A crash after a send and before the delete sends that row again with the same message id, never
/// loses it. It takes rows only while the bus is connected; while PostgreSQL is away it backs off. A row that cannot be
/// sent as it is (type gone, body unreadable, refused by the broker, too many failures) is parked with its reason and
/// the rest flow. A row its writer has claimed (it sends it itself after the commit, <see cref="OutboxDelivery"/>) is
/// left alone until the claim runs out.
/// </summary>
public sealed class OutboxRelay(
    OutboxStore store, OutboxSignal signal, OutboxDelivery delivery, IBusControl bus, IOptions<OutboxSettings> settings, TimeProvider clock,
    ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private const ushort AccessRefused = 403;
    private const ushort NotFound = 404;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan InboxCleanupInterval = TimeSpan.FromHours(1);

    private readonly SendFaults faults = new();

    private OutboxSettings Settings => settings.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A send the broker refuses does not fail: the bus declares the destination again and again and the send waits.
        // Its faults are observed instead, so a refusal parks the row at once rather than after many timeouts.
        var sendObserver = bus.ConnectSendObserver(faults);
        var publishObserver = bus.ConnectPublishObserver(faults);
        try
        {
            await RelayAsync(stoppingToken);
        }
        finally
        {
            sendObserver.Disconnect();
            publishObserver.Disconnect();
        }
    }

    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        var waitingForBroker = false;
        var nextCleanup = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.EnsureCreatedAsync(stoppingToken);
                await ForgetSentAsync(stoppingToken);
                if (clock.GetUtcNow() >= nextCleanup)
                {
                    await store.ForgetConsumedBeforeAsync(clock.GetUtcNow() - Settings.InboxRetention, stoppingToken);
                    nextCleanup = clock.GetUtcNow() + InboxCleanupInterval;
                }

                // Rows taken while the broker is away would only wait in this process (and their attempts count up).
                if (!BrokerConnected())
                {
                    if (!waitingForBroker)
                    {
                        logger.LogWarning("The outbox relay of {Service} waits for the bus to connect to RabbitMQ", store.Owner);
                        waitingForBroker = true;
                    }

                    await Task.Delay(Settings.PollInterval, clock, stoppingToken);
                    continue;
                }

                if (waitingForBroker)
                {
                    logger.LogInformation("The bus is connected: the outbox relay of {Service} delivers again", store.Owner);
                    waitingForBroker = false;
                }

                var taken = await DeliverBatchAsync(stoppingToken);
                if (backoff > TimeSpan.Zero)
                {
                    logger.LogInformation("The outbox relay is delivering again");
                    backoff = TimeSpan.Zero;
                }

                if (taken < Settings.BatchSize)
                {
                    await signal.WaitAsync(Settings.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The rows stay where they are: nothing is lost, only delayed until the servers answer again.
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                logger.LogWarning("The outbox relay could not deliver ({Reason}); trying again in {Backoff}", exception.Message, backoff);
                await Task.Delay(backoff, clock, stoppingToken);
            }
        }
    }

    private bool BrokerConnected() => bus.CheckHealth().Status == BusHealthStatus.Healthy;

    /// <summary>Deletes the rows sent from memory after their commit; while PostgreSQL is away they wait for the next try.</summary>
    private async Task ForgetSentAsync(CancellationToken cancellationToken)
    {
        var sent = delivery.TakeSent();
        if (sent.Length == 0)
        {
            return;
        }

        try
        {
            await store.DeleteAsync(sent, cancellationToken);
        }
        catch
        {
            // Not forgotten: left undeleted past their claim, they would be sent a second time.
            delivery.Unsent(sent);
            throw;
        }
    }

    /// <summary>Claims one batch of this service's oldest rows, sends them, deletes the confirmed ones; the number claimed.</summary>
    public async Task<int> DeliverBatchAsync(CancellationToken cancellationToken)
    {
        var rows = await store.ClaimAsync(Settings.BatchSize, Settings.ClaimLease, cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        var outcomes = await Task.WhenAll(rows.Select(row => SendAsync(row, cancellationToken)));
        var results = rows.Zip(outcomes).ToList();
        // Whatever happens to the rest, the confirmed rows go first: a later failure must not send them twice.
        var sent = results.Where(result => result.Second.Kind == OutcomeKind.Sent).Select(result => result.First.Sequence).ToArray();
        if (sent.Length > 0)
        {
            await store.DeleteAsync(sent, CancellationToken.None);
        }

        var connected = BrokerConnected();
        var untried = new List<long>();
        foreach (var (row, outcome) in results)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Sent:
                    break;
                case OutcomeKind.Park:
                    await ParkAsync(row, outcome.Reason!, outcome.Attempted);
                    break;
                case OutcomeKind.Untried:
                    untried.Add(row.Sequence);
                    break;
                case OutcomeKind.Failed when !connected:
                    // The connection went, not this row: it is tried again once the bus is back, counting nothing.
                    untried.Add(row.Sequence);
                    break;
                case OutcomeKind.Failed when row.Attempts + 1 >= Settings.MaxAttempts:
                    await ParkAsync(row, $"failed {row.Attempts + 1} times (Outbox:MaxAttempts), last: {outcome.Reason}", attempted: true);
                    break;
                case OutcomeKind.Failed:
                    var retryIn = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(Math.Pow(2, row.Attempts)).Ticks, MaxRetryDelay.Ticks));
                    logger.LogWarning("Outbox message {MessageId} ({MessageType}) was not sent ({Reason}); attempt {Attempt} of {MaxAttempts}, next in {RetryIn}",
                        row.MessageId, row.MessageType, outcome.Reason, row.Attempts + 1, Settings.MaxAttempts, retryIn);
                    await store.FailedAsync(row.Sequence, outcome.Reason!, retryIn, CancellationToken.None);
                    break;
            }
        }

        if (untried.Count > 0)
        {
            await store.ReleaseAsync([.. untried], CancellationToken.None);
        }

        return rows.Count;
    }

    private async Task ParkAsync(OutboxRow row, string reason, bool attempted)
    {
        logger.LogError("Outbox message {MessageId} ({MessageType}) is parked: {Reason}. 'pipeline queues' lists it; " +
            "'pipeline outbox retry {MessageId}' puts it back once fixed", row.MessageId, row.MessageType, reason, row.MessageId);
        await store.ParkAsync(row.Sequence, reason, attempted, CancellationToken.None);
    }

    private async Task<Outcome> SendAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        Type? type;
        try
        {
            type = Type.GetType(row.MessageType, throwOnError: false);
        }
        catch (Exception e)
        {
            return Outcome.Parked($"its type '{row.MessageType}' cannot be loaded: {e.Message}", attempted: false);
        }

        if (type is null)
        {
            return Outcome.Parked($"its type '{row.MessageType}' does not resolve in {store.Owner} (renamed or removed since it was written)", attempted: false);
        }

        object? message;
        try
        {
            message = JsonSerializer.Deserialize(row.Body, type, OutboxBuffer.MessageJson);
        }
        catch (JsonException e)
        {
            return Outcome.Parked($"its body does not read as {type.Name}: {e.Message}", attempted: false);
        }

        if (message is null)
        {
            return Outcome.Parked($"its body holds no {type.Name}", attempted: false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Outcome.Untried;
        }

        var refused = faults.Watch(row.MessageId);
        // Cancelled once the relay stops waiting for it, so a send the bus keeps retrying does not go on behind the row's back.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // The bound is the relay's own: a send that waits on a broker that never answers must not hold the batch.
            var send = delivery.SendAsync(row.Destination, row.MessageId, message, type, abandon.Token);
            if (await Task.WhenAny(send, refused).WaitAsync(Settings.SendTimeout, cancellationToken) == refused)
            {
                return Outcome.Parked($"the broker refuses it, which sending again will not change: {await refused}", attempted: true);
            }

            await send;
            return Outcome.Sent;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Outcome.Untried;
        }
        catch (TimeoutException)
        {
            return Outcome.Failure($"not confirmed by the broker within {Settings.SendTimeout} (Outbox:SendTimeout)");
        }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            return Outcome.Parked($"the broker refuses it, which sending again will not change: {refusal}", attempted: true);
        }
        catch (Exception e)
        {
            return Outcome.Failure(e.GetBaseException().Message);
        }
        finally
        {
            await abandon.CancelAsync();
            faults.Forget(row.MessageId);
        }
    }

    /// <summary>The broker's refusal of this account or destination (403 ACCESS_REFUSED, 404 NOT_FOUND) anywhere in <paramref name="exception"/>; null otherwise.</summary>
    private static string? Refusal(Exception exception)
    {
        var pending = new Stack<Exception>([exception]);
        while (pending.TryPop(out var current))
        {
            if (current is OperationInterruptedException { ShutdownReason: { ReplyCode: AccessRefused or NotFound } reason })
            {
                return $"{reason.ReplyCode} {reason.ReplyText}";
            }

            if (current.Message.Contains("ACCESS_REFUSED", StringComparison.Ordinal) || current.Message.Contains("NOT_FOUND", StringComparison.Ordinal))
            {
                return current.Message;
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }

        return null;
    }

    /// <summary>The refusals of the messages the relay is sending, from the bus's send and publish faults, by message id.</summary>
    private sealed class SendFaults : ISendObserver, IPublishObserver
    {
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> watched = new();

        /// <summary>Completes with the broker's refusal, should one come while the message is sent.</summary>
        public Task<string> Watch(Guid messageId) =>
            watched.GetOrAdd(messageId, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Forget(Guid messageId) => watched.TryRemove(messageId, out _);

        public Task SendFault<T>(SendContext<T> context, Exception exception)
            where T : class => Observe(context.MessageId, exception);

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Observe(context.MessageId, exception);

        public Task PreSend<T>(SendContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostSend<T>(SendContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PrePublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        private Task Observe(Guid? messageId, Exception exception)
        {
            if (messageId is { } id && Refusal(exception) is { } refusal && watched.TryGetValue(id, out var source))
            {
                source.TrySetResult(refusal);
            }

            return Task.CompletedTask;
        }
    }

    private enum OutcomeKind
    {
        Sent,
        Failed,
        Park,
        Untried,
    }

    private sealed record Outcome(OutcomeKind Kind, string? Reason = null, bool Attempted = false)
    {
        public static readonly Outcome Sent = new(OutcomeKind.Sent);
        public static readonly Outcome Untried = new(OutcomeKind.Untried);

        public static Outcome Failure(string reason) => new(OutcomeKind.Failed, reason, Attempted: true);

        public static Outcome Parked(string reason, bool attempted) => new(OutcomeKind.Park, reason, attempted);
    }
}
