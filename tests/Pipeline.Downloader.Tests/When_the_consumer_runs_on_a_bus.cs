using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Downloader.Consumers;
using Pipeline.Artifacts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Tests;

/// <summary>The consumer and its definition on MassTransit's in-memory harness: results are published, bad input faults at once.</summary>
public sealed class When_the_consumer_runs_on_a_bus : IAsyncLifetime
{
    private readonly DatasetBuilder dataset = new();
    private readonly DownloaderHarness harness = new();
    private readonly LocalHttpServer server = new();
    private ServiceProvider provider = null!;
    private ITestHarness bus = null!;

    public async Task InitializeAsync()
    {
        provider = new ServiceCollection()
            .AddSingleton<IArtifactStore>(harness.Store)
            .AddSingleton(harness.Importer)
            .AddSingleton<StageStarts>()
            .AddSingleton(Options.Create(new RetrySettings { Limit = 3, MinInterval = TimeSpan.FromMilliseconds(10), MaxInterval = TimeSpan.FromMilliseconds(20) }))
            .AddLogging()
            .AddMassTransitTestHarness(configure => configure.AddConsumer<DownloadTrainingDataConsumer, DownloadTrainingDataConsumerDefinition>())
            .BuildServiceProvider(true);
        bus = provider.GetRequiredService<ITestHarness>();
        await bus.Start();
    }

    private DownloadTrainingData Command(string uri) => new()
    {
        TrainingId = harness.TrainingId, Attempt = 2, DatasetUri = uri, DatasetFormat = DatasetFormat.Manifest, DetectOn = DetectionScope.AllImages,
    };

    [Fact]
    public async Task A_good_dataset_publishes_TrainingDataDownloaded_with_the_counts_and_why_images_were_left_out()
    {
        dataset.AddImage("a").AddCorruptImage("b").WriteManifest();

        await bus.Bus.Publish(Command(DownloaderHarness.FileUri(dataset.Folder)));

        Assert.True(await bus.Published.Any<TrainingDataDownloaded>());
        // SelectAsync waits for the harness to go quiet without holding a lock: the synchronous Select can deadlock
        // there (see the Orchestrator tests' SagaTest.WithoutWaiting).
        var published = (await bus.Published.SelectAsync<TrainingDataDownloaded>().ToListAsync()).Single().Context.Message;
        Assert.Equal((2, 1, 1, 1), (published.Attempt, published.TrainImageCount, published.DetectionImageCount, published.SkippedImageCount));
        Assert.Equal(new Dictionary<ImageSkipReason, int> { [ImageSkipReason.Unreadable] = 1 }, published.SkippedImagesByReason);
    }

    // The harness's Consumed list drops a message id it has already seen, and a retry keeps the id, so these tests
    // count attempts where the work happens: each attempt of the import asks the server for the dataset once.
    [Fact]
    public async Task Bad_input_faults_after_one_attempt_without_retries_and_says_why()
    {
        await bus.Bus.Publish(Command(server.Url("missing.zip")));

        Assert.True(await bus.Published.Any<Fault<DownloadTrainingData>>());
        var fault = (await bus.Published.SelectAsync<Fault<DownloadTrainingData>>().ToListAsync()).Single().Context.Message;
        Assert.Contains("answered 404", fault.Exceptions[0].Message);
        Assert.Equal(typeof(StageInputException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.False(await bus.Published.Any<TrainingDataDownloaded>());
        Assert.Equal(1, server.RequestCount("missing.zip"));
    }

    [Fact]
    public async Task A_server_error_is_retried_Limit_times_before_it_faults()
    {
        server.Serve("busy.zip", [], status: 503);

        await bus.Bus.Publish(Command(server.Url("busy.zip")));

        Assert.True(await bus.Published.Any<Fault<DownloadTrainingData>>());
        var fault = (await bus.Published.SelectAsync<Fault<DownloadTrainingData>>().ToListAsync()).Single().Context.Message;
        Assert.Equal(typeof(HttpRequestException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Equal(1 + 3, server.RequestCount("busy.zip"));
    }

    public async Task DisposeAsync()
    {
        await bus.Stop();
        await provider.DisposeAsync();
        server.Dispose();
        dataset.Dispose();
        harness.Dispose();
    }
}
