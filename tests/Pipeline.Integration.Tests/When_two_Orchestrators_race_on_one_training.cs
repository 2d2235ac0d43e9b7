using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts;
using System.Diagnostics.Metrics;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests;

/// <summary>
/// Two Orchestrators (the real composition: bus on RabbitMQ, saga in Marten on PostgreSQL) share the saga's queue,
/// so events of one training race each other across processes, where the partitioner cannot serialize them and
/// only optimistic concurrency plus the endpoint's retry keep every update.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_two_Orchestrators_race_on_one_training(InfrastructureFixture infrastructure, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Batches = 50;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private readonly string schema = infrastructure.NewSchema("load");
    private readonly List<IHost> orchestrators = [];
    private readonly List<ConsumeCounter> counters = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in orchestrators)
        {
            await host.StopAsync();
            host.Dispose();
        }

        // The stage commands the saga sent have no worker here; the next test of the collection must not find them.
        await infrastructure.PurgeAsync([.. StageQueues.All]);
    }

    [Fact]
    public async Task Fifty_detection_batches_reported_at_once_are_all_kept()
    {
        var first = await StartOrchestrator();
        var bus = first.Services.GetRequiredService<IBus>();
        var store = first.Services.GetRequiredService<IDocumentStore>();
        var id = NewId.NextGuid();

        await bus.Publish(new BeginTraining { TrainingId = id, Organization = "it", Project = "load", DatasetUri = "file:///nowhere" });
        await WaitFor(store, id, t => t.CurrentState == "DataDownloading");
        await bus.Publish(new TrainingDataDownloaded
        {
            TrainingId = id, Attempt = 1, DatasetKey = "d", DetectionListKey = "l", Categories = [], DetectionImageCount = Batches,
        });
        await WaitFor(store, id, t => t.CurrentState == "TrainingRunning");
        await bus.Publish(new ModelTrained { TrainingId = id, Attempt = 1, ModelKey = "m", Metrics = new TrainingMetrics() });
        await WaitFor(store, id, t => t.CurrentState == "TrainModelUploading");
        await bus.Publish(new ModelUploaded { TrainingId = id, Attempt = 1, ModelId = Guid.NewGuid(), Version = 1, ModelKey = "r" });
        var detecting = await WaitFor(store, id, t => t.CurrentState == "Detecting");
        Assert.Equal(Batches, detecting.BatchCount);

        await StartOrchestrator();
        using var conflicts = new ConflictCounter();
        await Task.WhenAll(Enumerable.Range(0, Batches).Select(batch => bus.Publish(new ImagesDetected
        {
            TrainingId = id, Attempt = 1, BatchIndex = batch, DetectionsKey = $"batch-{batch:D5}.json", ImageCount = 1, DetectionCount = batch,
        })));

        var training = await WaitFor(store, id, t => t.CurrentState == "DetectionUploading");
        Assert.Equal(Enumerable.Range(0, Batches), training.DetectedBatches.Keys);
        Assert.Equal(Enumerable.Range(0, Batches).Select(batch => $"batch-{batch:D5}.json"), training.DetectedBatches.Values.Select(b => b.DetectionsKey));
        Assert.Equal(Enumerable.Range(0, Batches).Sum(), training.DetectionCount);
        // One stored revision per report: none lost, none applied twice.
        Assert.Equal(detecting.Version + Batches, training.Version);
        Assert.Single(training.History, t => t.To == "Detected");
        // Both processes took part, so the reports really raced each other through the database.
        Assert.All(counters, counter => Assert.True(counter.Consumed > 0, "One Orchestrator never received a report."));
        output.WriteLine($"Reports per Orchestrator: {string.Join(", ", counters.Select(c => c.Consumed))}; " +
            $"writes rejected by optimistic concurrency and retried: {conflicts.Count}");
    }

    private async Task<IHost> StartOrchestrator()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Detection:BatchSize"] = "1",
            ["Endpoints:training-state:PrefetchCount"] = "64",
            ["Endpoints:training-state:ConcurrentMessageLimit"] = "16",
        });
        builder.AddOrchestrator(options => options.DatabaseSchemaName = schema);
        var host = builder.Build();
        orchestrators.Add(host);
        var counter = new ConsumeCounter();
        counters.Add(counter);
        host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(counter);
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        return host;
    }

    private static async Task<TrainingState> WaitFor(IDocumentStore store, Guid id, Func<TrainingState, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Bound);
        TrainingState? training = null;
        while (!timeout.IsCancellationRequested)
        {
            await using (var session = store.QuerySession())
            {
                training = await session.LoadAsync<TrainingState>(id);
            }

            if (training is not null && condition(training))
            {
                return training;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException(
            $"The training never got there within {Bound}; it is in {training?.CurrentState ?? "no state"} with {training?.DetectedBatches.Count} batches.");
    }

    /// <summary>Counts the reports one Orchestrator applied.</summary>
    private sealed class ConsumeCounter : IConsumeObserver
    {
        private int consumed;

        public int Consumed => consumed;

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is ImagesDetected)
            {
                Interlocked.Increment(ref consumed);
            }

            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }

    /// <summary>Listens to the repository's conflict counter (both Orchestrators run in this process).</summary>
    private sealed class ConflictCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private long count;

        public ConflictCounter()
        {
            listener.InstrumentPublished = (instrument, meter) =>
            {
                if (instrument.Meter.Name == SagaRepositoryMetrics.MeterName && instrument.Name == SagaRepositoryMetrics.ConcurrencyConflicts)
                {
                    meter.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref count, value));
            listener.Start();
        }

        public long Count => Interlocked.Read(ref count);

        public void Dispose() => listener.Dispose();
    }
}
