using JasperFx;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;
using Pipeline.Hosting;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;
using Pipeline.Orchestrator.Tests;
using Pipeline.Orchestrator.Watchdog;

namespace Pipeline.Integration.Tests;

/// <summary>
/// The stage watchdog's queries on the real PostgreSQL (the deadline and state columns Marten duplicates) and its reports
/// on the real RabbitMQ: nobody consumes the saga's queue here, so an exact count of it is the number of reports sent.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_watchdog_reads_deadlines_from_Marten(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly ManualClock clock = new();
    private DocumentStore store = null!;
    private IHost host = null!;

    public async Task InitializeAsync()
    {
        await infrastructure.PurgeAsync(StageQueues.Training);
        var schema = infrastructure.NewSchema("watchdog");
        store = DocumentStore.For(options =>
        {
            options.Connection(infrastructure.PostgresConnectionString);
            options.DatabaseSchemaName = schema;
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            TrainingStateDocument.Configure(options);
        });
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings());
        builder.AddPipelineDefaults("watchdog-test", _ => { });
        host = builder.Build();
        await host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        store.Dispose();
        await infrastructure.PurgeAsync(StageQueues.Training);
    }

    [Fact]
    public async Task Only_stages_past_their_deadline_are_reported_and_each_attempt_once()
    {
        var overdue = await Store(TrainingStates.TrainingRunning, deadline: clock.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        await Store(TrainingStates.DataDownloading, deadline: clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        await Store(TrainingStates.Completed, deadline: null);
        var watchdog = NewWatchdog();

        Assert.Equal(1, await watchdog.CheckOnce(CancellationToken.None));
        Assert.Equal(1, await SagaQueueMessages());
        clock.Advance(Interval);
        Assert.Equal(0, await watchdog.CheckOnce(CancellationToken.None));
        Assert.Equal(1, await SagaQueueMessages());

        // The saga sent the stage again (a new attempt) and that one fell silent too: a new finding.
        await Update(overdue, training => training.Attempt = 2);
        Assert.Equal(1, await watchdog.CheckOnce(CancellationToken.None));
        Assert.Equal(2, await SagaQueueMessages());
    }

    [Fact]
    public async Task A_report_the_saga_never_acted_on_is_sent_again_after_six_intervals()
    {
        await Store(TrainingStates.Detecting, deadline: clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        var watchdog = NewWatchdog();

        await watchdog.CheckOnce(CancellationToken.None);
        clock.Advance(Interval * 5);
        await watchdog.CheckOnce(CancellationToken.None);
        Assert.Equal(1, await SagaQueueMessages());
        clock.Advance(Interval);
        await watchdog.CheckOnce(CancellationToken.None);
        Assert.Equal(2, await SagaQueueMessages());
    }

    [Fact]
    public async Task A_restarted_watchdog_finds_the_deadline_stored_before_the_restart()
    {
        await Store(TrainingStates.TrainModelUploading, deadline: clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        await NewWatchdog().CheckOnce(CancellationToken.None);

        // A new process remembers nothing of what the old one reported; the deadline is in the training's document.
        Assert.Equal(1, await NewWatchdog().CheckOnce(CancellationToken.None));
        Assert.Equal(2, await SagaQueueMessages());
    }

    [Fact]
    public async Task Failed_trainings_older_than_the_retention_are_reported_expired_once_a_minute()
    {
        var retention = new StageSettings().FailedRetention;
        await Store(TrainingStates.Failed, deadline: null, updated: clock.GetUtcNow() - retention - TimeSpan.FromSeconds(1));
        await Store(TrainingStates.Failed, deadline: null, updated: clock.GetUtcNow() - retention + TimeSpan.FromHours(1));
        await Store(TrainingStates.Failed, deadline: null, updated: clock.GetUtcNow() - retention - TimeSpan.FromDays(1), scratchDropped: true);
        var watchdog = NewWatchdog();

        await watchdog.CheckOnce(CancellationToken.None);
        Assert.Equal(1, await SagaQueueMessages());
        clock.Advance(Interval);
        await watchdog.CheckOnce(CancellationToken.None);
        Assert.Equal(1, await SagaQueueMessages());
        clock.Advance(TimeSpan.FromMinutes(1));
        await watchdog.CheckOnce(CancellationToken.None);
        Assert.Equal(2, await SagaQueueMessages());
    }

    private StageWatchdog NewWatchdog() => new(
        store, host.Services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new WatchdogSettings { Interval = Interval }),
        Options.Create(new StageSettings()), host.Services.GetRequiredService<IOptions<RabbitMqSettings>>(), clock, NullLogger<StageWatchdog>.Instance);

    private async Task<int> SagaQueueMessages() => (await infrastructure.QueueCountsAsync(StageQueues.Training))?.Messages ?? 0;

    private async Task<Guid> Store(string state, DateTimeOffset? deadline, DateTimeOffset? updated = null, bool scratchDropped = false)
    {
        var id = Guid.NewGuid();
        await using var session = store.LightweightSession();
        session.Insert(new TrainingState
        {
            CorrelationId = id, CurrentState = state, Attempt = 1, StageDeadline = deadline, Version = 1,
            CreatedAt = clock.GetUtcNow() - TimeSpan.FromDays(30), UpdatedAt = updated ?? clock.GetUtcNow(),
            ScratchDroppedAt = scratchDropped ? clock.GetUtcNow() - TimeSpan.FromDays(1) : null,
        });
        await session.SaveChangesAsync();
        return id;
    }

    private async Task Update(Guid id, Action<TrainingState> change)
    {
        await using var session = store.LightweightSession();
        var training = (await session.LoadAsync<TrainingState>(id))!;
        change(training);
        session.UpdateRevision(training, training.Version + 1);
        await session.SaveChangesAsync();
    }
}
