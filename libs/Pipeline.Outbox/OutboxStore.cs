using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Storage;

namespace Pipeline.Outbox;

/// <summary>
/// The outbox and inbox tables, in the deployment's Marten schema. A unit of work (the saga's, the Uploader's) writes
/// into them through its Marten session (one transaction), each row marked with the service that wrote it; that
/// service's relay claims, deletes, retries and parks its rows over its own connection, one short statement at a time.
/// The inbox remembers a message id per consumer.
/// </summary>
public sealed class OutboxStore(IDocumentStore store, NpgsqlDataSource dataSource, IOptions<OutboxSettings> settings, ServiceIdentity service)
    : IStorageSchema
{
    /// <summary>What <see cref="CreateAsync"/> adds to a table made by an earlier version, newest last.</summary>
    private static readonly string[] Columns = ["claimed_until", "owner", "attempts", "last_error", "parked_at", "parked_reason"];

    private const string LockNotAvailable = "55P03";

    private readonly SemaphoreSlim creating = new(1, 1);
    private volatile bool created;

    private string Schema => store.Options.DatabaseSchemaName;

    /// <summary>The service whose rows these are: the one its relay delivers.</summary>
    public string Owner => service.Name;

    public string MessagesTable => $"\"{Schema}\".outbox_messages";

    public string InboxTable => $"\"{Schema}\".inbox_messages";

    /// <summary>The service's one data source, Marten's too (<see cref="PostgresDataSource"/>).</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>The name a stored message's type is found by again: assembly-qualified without a version.</summary>
    public static string TypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    /// <summary>
    /// Creates the tables once per process where they are missing; replicas starting together serialise on an advisory
    /// lock. Where they exist nothing is altered: a service's own role may use the tables, not create them.
    /// </summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (created)
        {
            return;
        }

        await creating.WaitAsync(cancellationToken);
        try
        {
            if (created)
            {
                return;
            }

            created = await UpToDateAsync(cancellationToken);
            if (!created)
            {
                await CreateAsync(cancellationToken);
                created = true;
            }
        }
        finally
        {
            creating.Release();
        }
    }

    /// <summary>
    /// As the schema's owner (<c>apply-schema</c>): creates or updates the tables. Tables already up to date are not
    /// touched: even an <c>add column if not exists</c> would wait for every transaction that holds a row of them.
    /// </summary>
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        if (!await UpToDateAsync(cancellationToken))
        {
            await CreateAsync(cancellationToken);
        }

        created = true;
    }

    /// <summary>Both tables, with every column and index <see cref="CreateAsync"/> leaves; read from the catalog, which takes no lock on them.</summary>
    private async Task<bool> UpToDateAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            """
            select to_regclass(format('%I.inbox_messages', $1)) is not null
               and to_regclass(format('%I.outbox_messages_pending', $1)) is not null
               and (select count(*) from information_schema.columns
                    where table_schema = $1 and table_name = 'outbox_messages' and column_name = any($2)) = cardinality($2)
            """);
        command.Parameters.AddWithValue(Schema);
        command.Parameters.AddWithValue(Columns);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Altering a table waits for every transaction that touched it, and every later one waits behind it: better to
        // give up soon, saying why, than to stall the services' writes (and time out with "Timeout during reading").
        await using var command = new NpgsqlCommand(
            $"""
            set local lock_timeout = {(long)settings.Value.SchemaLockTimeout.TotalMilliseconds};
            select pg_advisory_xact_lock(hashtext('pipeline-outbox'));
            create schema if not exists "{Schema}";
            create table if not exists {MessagesTable} (
                sequence bigserial primary key,
                message_id uuid not null,
                destination text not null,
                message_type text not null,
                body jsonb not null,
                enqueued_at timestamptz not null default now());
            alter table {MessagesTable}
                add column if not exists claimed_until timestamptz not null default now(),
                -- The service that wrote the row, whose relay delivers it; null on rows from before there was one.
                add column if not exists owner text,
                add column if not exists attempts integer not null default 0,
                add column if not exists last_error text,
                -- A parked row waits for an operator: it cannot be sent as it is (pipeline queues lists it).
                add column if not exists parked_at timestamptz,
                add column if not exists parked_reason text;
            create index if not exists outbox_messages_message_id on {MessagesTable} (message_id);
            create index if not exists outbox_messages_pending on {MessagesTable} (owner, sequence) where parked_at is null;
            create table if not exists {InboxTable} (
                consumer text not null,
                message_id uuid not null,
                received_at timestamptz not null default now(),
                primary key (consumer, message_id));
            """, connection, transaction);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == LockNotAvailable)
        {
            throw new InvalidOperationException(
                $"The outbox tables {MessagesTable} need altering, and their lock was not free within {settings.Value.SchemaLockTimeout} " +
                "(Outbox:SchemaLockTimeout): a transaction holds outbox_messages (pg_stat_activity shows it, often 'idle in transaction'; " +
                "an outbox relay of a version before per-service outboxes holds one while it sends). Stop that process, or end its " +
                "transaction, and run apply-schema again.", e);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Whether this consumer has already committed the effects of this message.</summary>
    public async Task<bool> WasConsumedAsync(string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"select 1 from {InboxTable} where consumer = $1 and message_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = messageId });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Queues a unit of work's messages and, when given, the consumed message's inbox row into its session, so all of it
    /// commits (or rolls back) with the documents; a concurrent second copy of the message fails on the inbox key.
    /// </summary>
    public void Write(IDocumentSession session, OutboxBuffer buffer, string consumer, Guid? messageId)
    {
        buffer.WriteTo(session, this, settings.Value.ClaimsOnCommit ? settings.Value.CommitClaim : null);
        if (messageId is { } id)
        {
            session.QueueSqlCommand($"insert into {InboxTable} (consumer, message_id) values (?, ?)", consumer, id);
        }
    }

    /// <summary>
    /// Claims up to <paramref name="count"/> of this service's oldest deliverable rows for <paramref name="lease"/> in one
    /// statement that commits at once: no lock outlives it, whatever the sends that follow do. Replicas skip each
    /// other's rows while the statement runs, and the claim keeps them apart after it.
    /// </summary>
    internal async Task<IReadOnlyList<OutboxRow>> ClaimAsync(int count, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"""
            update {MessagesTable} set claimed_until = now() + make_interval(secs => $3)
            where sequence in (
                select sequence from {MessagesTable}
                where (owner = $1 or ($4 and owner is null)) and parked_at is null and claimed_until <= now()
                order by sequence limit $2 for update skip locked)
            returning sequence, message_id, destination, message_type, body::text, attempts
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        command.Parameters.Add(new NpgsqlParameter { Value = lease.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Value.DeliversUnowned });
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
        }

        return [.. rows.OrderBy(row => row.Sequence)];
    }

    /// <summary>Forgets rows that were sent from memory after their commit.</summary>
    public async Task DeleteAsync(Guid[] messageIds, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"delete from {MessagesTable} where message_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = messageIds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets rows the broker has confirmed.</summary>
    internal async Task DeleteAsync(long[] sequences, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"delete from {MessagesTable} where sequence = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = sequences });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A failed attempt: the row waits <paramref name="retryIn"/> before any relay tries it again.</summary>
    internal async Task FailedAsync(long sequence, string error, TimeSpan retryIn, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"update {MessagesTable} set attempts = attempts + 1, last_error = $2, claimed_until = now() + make_interval(secs => $3) where sequence = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sequence });
        command.Parameters.Add(new NpgsqlParameter { Value = error });
        command.Parameters.Add(new NpgsqlParameter { Value = retryIn.TotalSeconds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Sets a row aside for an operator: no relay takes it again until it is un-parked.</summary>
    internal async Task ParkAsync(long sequence, string reason, bool attempted, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"update {MessagesTable} set parked_at = now(), parked_reason = $2, last_error = $2, attempts = attempts + $3 where sequence = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sequence });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        command.Parameters.Add(new NpgsqlParameter { Value = attempted ? 1 : 0 });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives claimed rows back at once, untried (the broker went away mid-batch, the process stops).</summary>
    internal async Task ReleaseAsync(long[] sequences, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"update {MessagesTable} set claimed_until = now() where sequence = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = sequences });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Per service that has rows: how many wait, how many are parked, and the oldest parked ones (at most <paramref name="limit"/> in all).</summary>
    public async Task<IReadOnlyList<OutboxStatus>> ReadStatusAsync(int limit, CancellationToken cancellationToken)
    {
        var parked = new List<(string Owner, ParkedOutboxMessage Row)>();
        await using (var rows = DataSource.CreateCommand(
            $"select coalesce(owner, ''), message_id, message_type, destination, attempts, parked_at, coalesce(parked_reason, '') from {MessagesTable} " +
            "where parked_at is not null order by sequence limit $1"))
        {
            rows.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await rows.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                parked.Add((reader.GetString(0), new ParkedOutboxMessage
                {
                    MessageId = reader.GetGuid(1), MessageType = reader.GetString(2), Destination = reader.GetString(3),
                    Attempts = reader.GetInt32(4), ParkedAt = reader.GetFieldValue<DateTimeOffset>(5), Reason = reader.GetString(6),
                }));
            }
        }

        var services = new List<OutboxStatus>();
        await using var counts = DataSource.CreateCommand(
            $"select coalesce(owner, ''), count(*) filter (where parked_at is null), count(*) filter (where parked_at is not null) from {MessagesTable} " +
            "group by 1 order by 1");
        await using (var reader = await counts.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var owner = reader.GetString(0);
                services.Add(new OutboxStatus
                {
                    Service = owner, Waiting = reader.GetInt64(1), ParkedCount = reader.GetInt64(2),
                    Parked = [.. parked.Where(row => row.Owner == owner).Select(row => row.Row)],
                });
            }
        }

        return services;
    }

    /// <summary>
    /// Puts parked rows back in line, as new (their attempts forgotten), with their message ids: one row by its message
    /// id, or every parked row of one service; the number un-parked.
    /// </summary>
    public async Task<int> UnparkAsync(Guid? messageId, string? owner, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"""
            update {MessagesTable} set parked_at = null, parked_reason = null, attempts = 0, claimed_until = now()
            where parked_at is not null and ($1::uuid is null or message_id = $1) and ($2::text is null or coalesce(owner, '') = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)messageId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ForgetConsumedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"delete from {InboxTable} where received_at < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = before.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>An outbox row as its relay claimed it.</summary>
internal sealed record OutboxRow(long Sequence, Guid MessageId, string Destination, string MessageType, string Body, int Attempts);
