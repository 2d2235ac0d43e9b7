using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Pipeline.Outbox;

/// <summary>
/// Delivers committed outbox rows to RabbitMQ with publisher confirms, then deletes them in the transaction that
/// locked them. Rows another relay holds are skipped (<c>FOR UPDATE SKIP LOCKED</c>), so replicas share the work;
/// a crash after a send and before the delete sends that row again with the same message id, never loses it.
/// While PostgreSQL or RabbitMQ is away the rows wait and the relay backs off. Rows are self-describing (type,
/// destination, body), so any service's relay may deliver any service's rows. A row its writer has claimed (it sends
/// it itself after the commit, <see cref="OutboxDelivery"/>) is left alone until the claim runs out.
/// </summary>
public sealed class OutboxRelay(
    OutboxStore store, OutboxSignal signal, OutboxDelivery delivery, IOptions<OutboxSettings> settings, TimeProvider clock, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InboxCleanupInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        var nextCleanup = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.EnsureCreatedAsync(stoppingToken);
                await ForgetSentAsync(stoppingToken);
                var delivered = await DeliverBatchAsync(stoppingToken);
                if (backoff > TimeSpan.Zero)
                {
                    logger.LogInformation("The outbox relay is delivering again");
                    backoff = TimeSpan.Zero;
                }

                if (clock.GetUtcNow() >= nextCleanup)
                {
                    await store.ForgetConsumedBeforeAsync(clock.GetUtcNow() - settings.Value.InboxRetention, stoppingToken);
                    nextCleanup = clock.GetUtcNow() + InboxCleanupInterval;
                }

                if (delivered < settings.Value.BatchSize)
                {
                    await signal.WaitAsync(settings.Value.PollInterval, stoppingToken);
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

    /// <summary>Sends one batch of the oldest rows and deletes them; the number delivered.</summary>
    public async Task<int> DeliverBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<Row>();
        await using (var select = new NpgsqlCommand(
            $"select sequence, message_id, destination, message_type, body::text from {store.MessagesTable} " +
            "where claimed_until <= now() order by sequence limit $1 for update skip locked", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = settings.Value.BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new Row(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        await Task.WhenAll(rows.Select(row => SendAsync(row, cancellationToken)));

        await using (var delete = new NpgsqlCommand($"delete from {store.MessagesTable} where sequence = any($1)", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = rows.Select(row => row.Sequence).ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    private Task SendAsync(Row row, CancellationToken cancellationToken)
    {
        var type = Type.GetType(row.MessageType, throwOnError: true)!;
        var message = JsonSerializer.Deserialize(row.Body, type, OutboxBuffer.MessageJson)
            ?? throw new InvalidOperationException($"Outbox row {row.Sequence} holds no {type.Name}.");
        return delivery.SendAsync(row.Destination, row.MessageId, message, type, cancellationToken);
    }

    private sealed record Row(long Sequence, Guid MessageId, string Destination, string MessageType, string Body);
}
