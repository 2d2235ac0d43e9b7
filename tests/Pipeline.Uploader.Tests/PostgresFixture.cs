using System.Text.Json;
using JasperFx;
using Marten;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pipeline.Hosting;
using Pipeline.Storage;
using Pipeline.Outbox;

namespace Pipeline.Uploader.Tests;

/// <summary>
/// The Uploader's documents on the PostgreSQL that <c>scripts/infra.sh up</c> starts, in a schema of this run's own
/// (so concurrent runs never meet), dropped at the end.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly string connectionString = Environment.GetEnvironmentVariable("PIPELINE_POSTGRES") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            "PIPELINE_POSTGRES is not set: start PostgreSQL with 'scripts/infra.sh up', then eval \"$(scripts/infra.sh env)\".");

    public string Schema { get; } = "test_" + Guid.NewGuid().ToString("N");

    public DocumentStore Store { get; private set; } = null!;

    /// <summary>The data source the store and the outbox share, as in the Uploader.</summary>
    private NpgsqlDataSource dataSource = null!;

    /// <summary>The outbox and inbox tables in this run's schema, as the Uploader's relay reads them.</summary>
    public OutboxStore Outbox { get; private set; } = null!;

    /// <summary>The rows stay for a relay, where the tests read them: nothing here sends them on commit.</summary>
    public IOptions<OutboxSettings> OutboxSettings { get; } = Options.Create(new OutboxSettings { DeliverOnCommit = false });

    /// <summary>What the Uploader calls once a unit of work has committed; it only wakes a relay (there is none here).</summary>
    public OutboxDelivery Delivery => new(new OutboxSignal(), Bus.Factory.CreateUsingInMemory(_ => { }), OutboxSettings, NullLogger<OutboxDelivery>.Instance);

    public async Task InitializeAsync()
    {
        dataSource = PostgresDataSource.Create(connectionString);
        Store = DocumentStore.For(options =>
        {
            options.Connection(dataSource);
            options.DatabaseSchemaName = Schema;
            options.AutoCreateSchemaObjects = AutoCreate.All;
            UploaderDocuments.Configure(options);
        });
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        Outbox = new OutboxStore(Store, dataSource, OutboxSettings, new ServiceIdentity("uploader"));
        await Outbox.EnsureCreatedAsync(CancellationToken.None);
    }

    /// <summary>The messages of one type for one training waiting in the outbox, in the order they were written.</summary>
    public Task<IReadOnlyList<T>> OutboxMessagesAsync<T>(Guid trainingId) => OutboxMessagesAsync<T>("TrainingId", trainingId.ToString());

    /// <summary>The messages of one type whose top-level <paramref name="field"/> is <paramref name="value"/>, in the order they were written.</summary>
    public async Task<IReadOnlyList<T>> OutboxMessagesAsync<T>(string field, string value)
    {
        await using var command = Outbox.DataSource.CreateCommand(
            $"select body::text from {Outbox.MessagesTable} where message_type = $1 and body->>$2 = $3 order by sequence");
        command.Parameters.Add(new NpgsqlParameter { Value = OutboxStore.TypeName(typeof(T)) });
        command.Parameters.Add(new NpgsqlParameter { Value = field });
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        var messages = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            messages.Add(JsonSerializer.Deserialize<T>(reader.GetString(0))!);
        }

        return messages;
    }

    public async Task DisposeAsync()
    {
        Store.Dispose();
        await dataSource.DisposeAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
