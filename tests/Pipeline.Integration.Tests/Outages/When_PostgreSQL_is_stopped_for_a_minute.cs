using System.Net;
using Pipeline.Contracts;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// The Orchestrator, Downloader and Uploader as processes on a PostgreSQL of this test's own, stopped for a minute while
/// trainings run and one more is begun: with no operator, every training completes and no message goes to an _error queue.
/// </summary>
public sealed class When_PostgreSQL_is_stopped_for_a_minute(ITestOutputHelper output) : IAsyncLifetime
{
    // PIPELINE_TEST_OUTAGE (a TimeSpan, e.g. 00:05:00) measures a longer outage with the same test; CI keeps the minute.
    private static readonly TimeSpan Outage = TimeSpan.TryParse(Environment.GetEnvironmentVariable("PIPELINE_TEST_OUTAGE"), out var outage)
        ? outage
        : TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(150);

    private PrivatePostgres postgres = null!;
    private RunningPipelineFixture pipeline = null!;

    public async Task InitializeAsync()
    {
        postgres = await PrivatePostgres.StartAsync();
        pipeline = new RunningPipelineFixture(realWorkers: false, postgres.ConnectionString);
        await pipeline.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await pipeline.DisposeAsync();
        await postgres.DisposeAsync();
    }

    [Fact]
    public async Task Every_training_completes_and_every_error_queue_stays_empty()
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, "outage"))).AbsoluteUri;
        var before = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            before.Add(await pipeline.BeginAsync(dataset));
        }

        await postgres.StopAsync();
        var stoppedAt = DateTime.UtcNow;
        var duringOutage = await pipeline.BeginAsync(dataset);
        // What a load balancer or compose sees: not ready while its database is away, ready again once it is back.
        await RunningPipelineFixture.WaitUntil("the Orchestrator answers 503 on /health/ready", async () => await ReadinessAsync() == HttpStatusCode.ServiceUnavailable, Outage);
        await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (Outage - (DateTime.UtcNow - stoppedAt)).Ticks)));
        await postgres.StartAgainAsync();
        var restartedAt = DateTime.UtcNow;
        await RunningPipelineFixture.WaitUntil("the Orchestrator answers 200 on /health/ready", async () => await ReadinessAsync() == HttpStatusCode.OK, Recovery);

        foreach (var trainingId in before.Append(duringOutage))
        {
            var training = await pipeline.WaitForStateAsync(trainingId, Recovery, TrainingStates.Completed, TrainingStates.Failed);
            Assert.Equal(TrainingStates.Completed, training.State);
        }

        output.WriteLine($"PostgreSQL down {restartedAt - stoppedAt:mm\\:ss}; all completed {DateTime.UtcNow - restartedAt:mm\\:ss} after its restart.");
        var errorQueues = StageQueues.All.Concat(["downloader-cleanup", "trainer-cleanup", "detector-cleanup"]).Select(queue => $"{queue}_error");
        foreach (var queue in errorQueues)
        {
            Assert.Equal((queue, 0), (queue, (await pipeline.Infrastructure.QueueCountsAsync(queue))?.Messages ?? 0));
        }
    }

    private async Task<HttpStatusCode?> ReadinessAsync()
    {
        try
        {
            using var response = await pipeline.Api.GetAsync("/health/ready");
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
