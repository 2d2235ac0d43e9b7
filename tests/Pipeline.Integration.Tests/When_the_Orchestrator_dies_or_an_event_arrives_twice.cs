using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;
using Pipeline.Outbox;

namespace Pipeline.Integration.Tests;

/// <summary>
/// The saga's transactional outbox and inbox on the real servers: what a transition sends is committed with it and
/// delivered even when the Orchestrator dies in between; a message delivered twice has its effects once.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_Orchestrator_dies_or_an_event_arrives_twice(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string schema = infrastructure.NewSchema("outbox");
    private readonly List<IAsyncDisposable> running = [];
    private DocumentStore? store;

    private DocumentStore Store => store ??= DocumentStore.For(options =>
    {
        options.Connection(infrastructure.PostgresConnectionString);
        options.DatabaseSchemaName = schema;
        TrainingStateDocument.Configure(options);
    });

    public async Task InitializeAsync()
    {
        // The test's store and the Orchestrator would otherwise both create the saga's table on first use, and two
        // concurrent CREATE INDEX fail one of them (42P07).
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await infrastructure.PurgeAsync(StageQueues.DownloadTrainingData, StageQueues.TrainModel);
    }

    public async Task DisposeAsync()
    {
        foreach (var part in Enumerable.Reverse(running))
        {
            await part.DisposeAsync();
        }

        store?.Dispose();
        await infrastructure.PurgeAsync(StageQueues.DownloadTrainingData, StageQueues.TrainModel);
    }

    [Fact]
    public async Task A_command_committed_before_the_Orchestrator_was_killed_is_sent_by_the_next_one()
    {
        // An Orchestrator that commits and never sends is one killed between its commit and its sends.
        var first = StartOrchestratorProcess("orchestrator-no-relay", deliver: false);
        await RunningPipelineFixture.WaitUntil("the saga's queue has a consumer",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.Training))?.Consumers > 0 || first.HasExited, Bound);
        var client = await StartClient();
        var trainingId = NewId.NextGuid();

        await client.Send(Begin(trainingId));
        await WaitForState(trainingId, "DataDownloading");
        Assert.Equal(1, await OutboxRows(nameof(DownloadTrainingData)));
        Assert.Equal(0, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages ?? 0);

        first.Kill();
        StartOrchestratorProcess("orchestrator-relay", deliver: true);

        await RunningPipelineFixture.WaitUntil("DownloadTrainingData is in its queue",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages == 1, Bound);
        // The relay deletes what it sent once the broker confirmed it: right after, not before.
        await RunningPipelineFixture.WaitUntil("the outbox is empty", async () => await OutboxRows() == 0, Bound);
    }

    [Fact]
    public async Task A_command_whose_writer_died_before_sending_it_itself_is_sent_by_a_relay_once_its_claim_runs_out()
    {
        var claim = TimeSpan.FromSeconds(3);
        var host = await StartOrchestratorHost(new() { [$"{OutboxSettings.Section}:{nameof(OutboxSettings.CommitClaim)}"] = claim.ToString() });
        var trainingId = NewId.NextGuid();

        // What an Orchestrator that sends on commit leaves when it dies right after the commit: the row, claimed.
        var buffer = new OutboxBuffer();
        buffer.Send(new DownloadTrainingData
        {
            TrainingId = trainingId, Attempt = 1, DatasetUri = "file:///nowhere",
        });
        var outbox = host.Services.GetRequiredService<OutboxStore>();
        await outbox.EnsureCreatedAsync(CancellationToken.None);
        await using (var session = Store.LightweightSession())
        {
            outbox.Write(session, buffer, "a-writer-that-died", messageId: null);
            await session.SaveChangesAsync();
        }

        var committed = System.Diagnostics.Stopwatch.StartNew();
        await RunningPipelineFixture.WaitUntil("DownloadTrainingData is in its queue",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages == 1, Bound);

        // The claim counts from the transaction's start, a moment before the stopwatch's.
        Assert.True(committed.Elapsed >= claim - TimeSpan.FromMilliseconds(500), $"sent {committed.Elapsed} after the commit, within its claim of {claim}");
        await RunningPipelineFixture.WaitUntil("the outbox is empty", async () => await OutboxRows() == 0, Bound);
    }

    [Fact]
    public async Task Every_event_delivered_twice_has_its_effect_once_and_sends_nothing_twice()
    {
        var host = await StartOrchestratorHost();
        var bus = host.Services.GetRequiredService<IBus>();
        var trainingId = NewId.NextGuid();

        await Twice(bus, Begin(trainingId));
        await WaitForState(trainingId, "DataDownloading");
        await Twice(bus, new TrainingDataDownloaded
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = "d", DetectionListKey = "l", Categories = [], TrainImageCount = 1, TestImageCount = 1,
        });
        await WaitForState(trainingId, "TrainingRunning");

        // A late copy of an older report must not undo a newer one: only the inbox tells the copy from a new report.
        var worse = new TrainingMetricsImproved { TrainingId = trainingId, Attempt = 1, Metrics = new TrainingMetrics { MeanAveragePrecision = 0.5, Iteration = 100 } };
        var worseId = NewId.NextGuid();
        await bus.Publish(worse, context => context.MessageId = worseId);
        await WaitFor(trainingId, "the first metrics", t => t.BestMetrics?.Iteration == 100);
        await bus.Publish(worse with { Metrics = new TrainingMetrics { MeanAveragePrecision = 0.7, Iteration = 200 } });
        await WaitFor(trainingId, "the second metrics", t => t.BestMetrics?.Iteration == 200);
        await bus.Publish(worse, context => context.MessageId = worseId);
        var marker = NewId.NextGuid();
        await bus.Publish(new TrainingProgressed
        {
            TrainingId = trainingId, Attempt = 1, Iteration = 201, TotalIterations = 1000, Loss = 0.1, ImagesPerSecond = 1, EstimatedTimeLeft = TimeSpan.Zero,
        }, context => context.MessageId = marker);
        var training = await WaitFor(trainingId, "the progress sent after the copy", t => t.Progress?.Iteration == 201);

        Assert.Equal(200, training.BestMetrics!.Iteration);
        Assert.Single(training.History, t => t.To == "DataDownloading");
        Assert.Single(training.History, t => t.To == "TrainingRunning");
        Assert.Equal(1, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
        Assert.Equal(1, (await infrastructure.QueueCountsAsync(StageQueues.TrainModel))?.Messages);
    }

    private static BeginTraining Begin(Guid trainingId) =>
        new() { TrainingId = trainingId, Organization = "it", Project = "outbox", DatasetUri = "file:///nowhere" };

    // The same message id twice: what a redelivery after a lost acknowledgement looks like.
    private static async Task Twice<T>(IBus bus, T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        await bus.Publish(message, context => context.MessageId = messageId);
        await bus.Publish(message, context => context.MessageId = messageId);
    }

    private ServiceProcess StartOrchestratorProcess(string name, bool deliver)
    {
        var settings = infrastructure.ServiceSettings();
        settings["Marten:Schema"] = schema;
        settings["Outbox:Deliver"] = deliver.ToString();
        settings["Urls"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        var process = ServiceProcess.Start("Orchestrator", name, environment, Path.Combine(Path.GetTempPath(), $"pipeline-{schema}"));
        running.Add(process);
        return process;
    }

    private async Task<IHost> StartOrchestratorHost(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(settings ?? []);
        builder.AddOrchestrator(options => options.DatabaseSchemaName = schema);
        return await Start(builder.Build());
    }

    // Sends the user's commands, as the pipeline command does; consumes nothing.
    private async Task<ISendEndpointProvider> StartClient()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings());
        builder.AddPipelineDefaults("outbox-test-client", _ => { });
        var host = await Start(builder.Build());
        return host.Services.GetRequiredService<IBus>();
    }

    private async Task<IHost> Start(IHost host)
    {
        running.Add(new StoppedHost(host));
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        return host;
    }

    private Task<TrainingState> WaitForState(Guid trainingId, string state) =>
        WaitFor(trainingId, state, training => training.CurrentState == state);

    private async Task<TrainingState> WaitFor(Guid trainingId, string what, Func<TrainingState, bool> condition)
    {
        TrainingState? training = null;
        await RunningPipelineFixture.WaitUntil($"training {trainingId} shows {what}", async () =>
        {
            await using var session = Store.QuerySession();
            training = await session.LoadAsync<TrainingState>(trainingId);
            return training is not null && condition(training);
        }, Bound);
        return training!;
    }

    /// <summary>Rows waiting in the outbox, of one message type or of all.</summary>
    private async Task<long> OutboxRows(string? messageType = null)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            $"select count(*) from \"{schema}\".outbox_messages where $1 = '' or message_type like 'Pipeline.Contracts.' || $1 || ',%'", connection);
        count.Parameters.Add(new NpgsqlParameter { Value = messageType ?? "" });
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private sealed class StoppedHost(IHost host) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
