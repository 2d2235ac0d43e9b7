using JasperFx;
using Marten;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;

namespace Pipeline.Integration.Tests;

/// <summary>The Marten calls the saga repository relies on, against the real PostgreSQL.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_saga_repository_stores_trainings_in_Marten(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private DocumentStore store = null!;

    public Task InitializeAsync()
    {
        var schema = infrastructure.NewSchema("repository");
        store = DocumentStore.For(options =>
        {
            options.Connection(infrastructure.PostgresConnectionString);
            options.DatabaseSchemaName = schema;
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            TrainingStateDocument.Configure(options);
        });
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_stored_training_loads_with_its_revision_as_Version()
    {
        var id = Guid.NewGuid();
        await Insert(id);

        await using var session = store.QuerySession();
        var loaded = await session.LoadAsync<TrainingState>(id);

        Assert.Equal((1, "DataDownloading"), (loaded!.Version, loaded.CurrentState));
    }

    [Fact]
    public async Task An_update_from_a_stale_copy_raises_a_concurrency_exception()
    {
        var id = Guid.NewGuid();
        await Insert(id);
        var first = await Load(id);
        var second = await Load(id);

        await using (var session = store.LightweightSession())
        {
            first.Attempt = 2;
            session.UpdateRevision(first, first.Version + 1);
            await session.SaveChangesAsync();
        }

        await using (var session = store.LightweightSession())
        {
            second.Attempt = 3;
            session.UpdateRevision(second, second.Version + 1);
            await Assert.ThrowsAsync<ConcurrencyException>(() => session.SaveChangesAsync());
        }

        var stored = await Load(id);
        Assert.Equal((2, 2), (stored.Version, stored.Attempt));
    }

    [Fact]
    public async Task A_second_insert_of_the_same_training_raises_DocumentAlreadyExists()
    {
        var id = Guid.NewGuid();
        await Insert(id);

        await Assert.ThrowsAsync<DocumentAlreadyExistsException>(() => Insert(id));
    }

    private async Task Insert(Guid id)
    {
        await using var session = store.LightweightSession();
        session.Insert(new TrainingState { CorrelationId = id, CurrentState = "DataDownloading", Version = 1 });
        await session.SaveChangesAsync();
    }

    private async Task<TrainingState> Load(Guid id)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<TrainingState>(id))!;
    }
}
