using JasperFx;
using Marten;
using Npgsql;

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

    public async Task InitializeAsync()
    {
        Store = DocumentStore.For(options =>
        {
            options.Connection(connectionString);
            options.DatabaseSchemaName = Schema;
            options.AutoCreateSchemaObjects = AutoCreate.All;
            UploaderDocuments.Configure(options);
        });
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        Store.Dispose();
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
