using Npgsql;

namespace Pipeline.Integration.Tests.Outbox;

/// <summary>
/// apply-schema while a session holds outbox rows locked (a relay of an older version mid-batch, an operator's open
/// transaction): it alters nothing when the tables are up to date, and otherwise gives up within its lock timeout
/// saying why, instead of queueing behind the lock (and every writer behind it) until its command times out.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_apply_schema_meets_a_held_outbox_lock(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(25);

    private readonly OutboxServices services = new(infrastructure, infrastructure.NewSchema("outbox_schema"));
    private NpgsqlConnection? holder;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (holder is not null)
        {
            await holder.DisposeAsync();
        }

        await services.DisposeAsync();
    }

    [Fact]
    public async Task It_alters_nothing_when_the_tables_are_up_to_date_and_finishes_at_once()
    {
        await services.ApplySchemaAsync(Bound);
        await WriteRowAsync();
        await HoldRowLocksAsync();

        await services.ApplySchemaAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task It_gives_up_within_its_lock_timeout_with_a_clear_error_when_it_must_alter_a_locked_table()
    {
        await services.ApplySchemaAsync(Bound);
        await WriteRowAsync();
        // A table from before the newest column, as an upgrade finds it.
        await services.ExecuteAsync($"alter table {services.Table} drop column if exists parked_reason");
        await HoldRowLocksAsync();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => services.ApplySchemaAsync(Bound));

        Assert.Contains("lock", refused.Message);
        Assert.Contains("outbox_messages", refused.Message);
    }

    private async Task WriteRowAsync() => await OutboxServices.SendDownloadAsync(await services.StartAsync("orchestrator", deliver: false));

    /// <summary>What a relay that sends inside its transaction holds while the broker keeps it waiting.</summary>
    private async Task HoldRowLocksAsync()
    {
        holder = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await holder.OpenAsync();
        await using var begin = new NpgsqlCommand($"begin; select sequence from {services.Table} for update", holder);
        await begin.ExecuteNonQueryAsync();
    }
}
