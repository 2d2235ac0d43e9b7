using System.Net.Http.Json;
using Pipeline.Contracts;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// The Orchestrator, Downloader and Uploader as processes, given both hosts of a PostgreSQL primary and its synchronous
/// streaming standby (each a cluster of this test's own), the standby first, with Target Session Attributes=primary. The primary is SIGKILLed while trainings run and the standby is
/// promoted, as an operator or CloudNativePG would: every training completes, no message goes to an _error queue, and
/// every transition the status API showed before the kill is still in the training's history after it.
/// </summary>
public sealed class When_the_PostgreSQL_primary_is_killed_and_its_standby_promoted(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(150);

    private PrivatePostgres? primary;
    private PrivatePostgres? standby;
    private RunningPipelineFixture? pipeline;

    private RunningPipelineFixture Running => pipeline!;

    public async Task InitializeAsync()
    {
        try
        {
            primary = await PrivatePostgres.StartAsync();
            standby = await primary.StartStandbyAsync();
            pipeline = new RunningPipelineFixture(realWorkers: false, PrivatePostgres.PrimaryOf(standby, primary));
            await pipeline.InitializeAsync();
        }
        catch
        {
            // xunit disposes only what started: two clusters left running would outlive the test run.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (pipeline is not null)
        {
            await pipeline.DisposeAsync();
        }

        if (standby is not null)
        {
            await standby.DisposeAsync();
        }

        if (primary is not null)
        {
            await primary.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_training_completes_and_no_committed_transition_is_lost()
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(Running.WorkFolder, "failover"))).AbsoluteUri;
        var before = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            before.Add(await Running.BeginAsync(dataset));
        }

        // What the saga has committed by now, while the later trainings are still on their way.
        await RunningPipelineFixture.WaitUntil("the first training has moved", async () => (await HistoryAsync(before[0])).Count > 0, Recovery);
        var seen = new Dictionary<Guid, IReadOnlyList<string>>();
        foreach (var trainingId in before)
        {
            seen[trainingId] = await HistoryAsync(trainingId);
        }

        await primary!.KillAsync();
        var killedAt = DateTime.UtcNow;
        await standby!.PromoteAsync();
        var promotedAt = DateTime.UtcNow;
        var afterFailover = await Running.BeginAsync(dataset);

        foreach (var trainingId in before.Append(afterFailover))
        {
            var training = await Running.WaitForStateAsync(trainingId, Recovery, TrainingStates.Completed, TrainingStates.Failed);
            Assert.Equal(TrainingStates.Completed, training.State);
            if (seen.TryGetValue(trainingId, out var earlier))
            {
                Assert.Equal(earlier, training.History.Take(earlier.Count).Select(Step));
            }
        }

        Assert.NotEqual(0, seen.Values.Sum(history => history.Count));
        output.WriteLine($"Transitions seen before the kill: {seen.Values.Sum(h => h.Count)}; standby promoted {promotedAt - killedAt:ss\\.f} s " +
            $"after the kill; all {before.Count + 1} completed {DateTime.UtcNow - promotedAt:mm\\:ss} after the promotion.");
        var errorQueues = StageQueues.All.Concat(["downloader-cleanup", "trainer-cleanup", "detector-cleanup"]).Select(queue => $"{queue}_error");
        foreach (var queue in errorQueues)
        {
            Assert.Equal((queue, 0), (queue, (await Running.Infrastructure.QueueCountsAsync(queue))?.Messages ?? 0));
        }
    }

    private async Task<IReadOnlyList<string>> HistoryAsync(Guid trainingId)
    {
        using var response = await Running.Api.GetAsync($"/trainings/{trainingId}");
        var details = response.IsSuccessStatusCode
            ? await response.Content.ReadFromJsonAsync<TrainingDetails>(ApiJson.Options)
            : null;
        return details?.History.Select(Step).ToList() ?? [];
    }

    private static string Step(StateTransition transition) => $"{transition.From} → {transition.To} at {transition.At:O} (attempt {transition.Attempt})";
}
