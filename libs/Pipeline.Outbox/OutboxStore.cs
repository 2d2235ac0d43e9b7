using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using Pipeline.Storage;

namespace Pipeline.Outbox;

/// <summary>
/// The outbox and inbox tables, in the deployment's Marten schema. A unit of work (the saga's, the Uploader's) writes
/// into them through its Marten session (one transaction); the relay reads and deletes outbox rows over its own
/// connection, row-locked. The inbox remembers a message id per consumer.
/// </summary>
public sealed class OutboxStore(IDocumentStore store, IConfiguration configuration, IOptions<OutboxSettings> settings) : IStorageSchema, IAsyncDisposable
{
    private readonly SemaphoreSlim creating = new(1, 1);
    private volatile bool created;

    private NpgsqlDataSource? dataSource;

    private string Schema => store.Options.DatabaseSchemaName;

    public string MessagesTable => $"\"{Schema}\".outbox_messages";

    public string InboxTable => $"\"{Schema}\".inbox_messages";

    public NpgsqlDataSource DataSource => dataSource ??= NpgsqlDataSource.Create(
        configuration.GetConnectionString(MartenConfiguration.ConnectionStringName)
        ?? throw new InvalidOperationException($"ConnectionStrings:{MartenConfiguration.ConnectionStringName} is not set."));

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

            created = await ExistAsync(cancellationToken);
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

    /// <summary>As the schema's owner: creates or updates the tables (<c>apply-schema</c>).</summary>
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await CreateAsync(cancellationToken);
        created = true;
    }

    /// <summary>Both tables, with the newest column: what <see cref="CreateAsync"/> leaves.</summary>
    private async Task<bool> ExistAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            """
            select to_regclass(format('%I.inbox_messages', $1)) is not null
               and exists (select from information_schema.columns
                           where table_schema = $1 and table_name = 'outbox_messages' and column_name = 'claimed_until')
            """);
        command.Parameters.AddWithValue(Schema);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            select pg_advisory_xact_lock(hashtext('pipeline-outbox'));
            create schema if not exists "{Schema}";
            create table if not exists {MessagesTable} (
                sequence bigserial primary key,
                message_id uuid not null,
                destination text not null,
                message_type text not null,
                body jsonb not null,
                enqueued_at timestamptz not null default now());
            alter table {MessagesTable} add column if not exists claimed_until timestamptz not null default now();
            create index if not exists outbox_messages_message_id on {MessagesTable} (message_id);
            create table if not exists {InboxTable} (
                consumer text not null,
                message_id uuid not null,
                received_at timestamptz not null default now(),
                primary key (consumer, message_id));
            """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
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

    /// <summary>Forgets rows that were sent from memory after their commit.</summary>
    public async Task DeleteAsync(Guid[] messageIds, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"delete from {MessagesTable} where message_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = messageIds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ForgetConsumedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"delete from {InboxTable} where received_at < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = before.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }
    }
}
