using Npgsql;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// Many events for one training at once while another writer wins every save of its saga document for longer than any
/// short retry schedule lasts (as another Orchestrator replica under load does): every event loses its race again and
/// again, and must still be processed once the storm passes, none of them left in training-state_error.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_a_conflict_storm_hits_one_training(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    // Longer than the 9 retry intervals the saga had (6.4 s in all), so a bounded schedule runs out within it.
    private static readonly TimeSpan Storm = TimeSpan.FromSeconds(12);
    private static readonly string ErrorQueue = $"{StageQueues.Training}_error";

    private readonly string schema = infrastructure.NewSchema("conflict_storm");
    private OrchestratorAlone orchestrator = null!;

    public async Task InitializeAsync()
    {
        await infrastructure.PurgeAsync(StageQueues.Training, ErrorQueue);
        orchestrator = await OrchestratorAlone.StartAsync(infrastructure, infrastructure.PostgresConnectionString, schema, new Dictionary<string, string>(), Bound);
    }

    public async Task DisposeAsync()
    {
        await orchestrator.DisposeAsync();
        await infrastructure.PurgeAsync(StageQueues.Training, ErrorQueue);
    }

    [Fact]
    public async Task Every_event_is_processed_after_the_storm_and_none_lands_in_the_error_queue()
    {
        var trainingId = Guid.NewGuid();
        var dataset = Directory.CreateTempSubdirectory("conflict-storm-").FullName;
        await PublishAsync("BeginTraining", $$"""
            { "trainingId": "{{trainingId}}", "organization": "storm", "project": "conflicts", "datasetUri": "{{new Uri(dataset).AbsoluteUri}}",
              "hyperparameters": { "iterations": 5, "resolution": 48 } }
            """);
        await EndToEnd.RunningPipelineFixture.WaitUntil("the training downloads its data",
            async () => await orchestrator.StateOfAsync(trainingId) == TrainingStates.DataDownloading, Bound);

        using var storm = new CancellationTokenSource(Storm);
        var otherWriter = WinEverySaveAsync(trainingId, storm.Token);
        // The Downloader's start reports, from several publishers at once: each one a write of the saga document.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await PublishAsync("StageStarted", $$"""{ "trainingId": "{{trainingId}}", "attempt": 1, "stage": "{{TrainingStates.DataDownloading}}" }""");
            }
        })));
        var wins = await otherWriter;
        // Last, on the same training's partition: once it shows, every start report before it was handled one way or the other.
        await PublishAsync("CancelTraining", $$"""{ "trainingId": "{{trainingId}}", "reason": "the storm is over" }""");

        await EndToEnd.RunningPipelineFixture.WaitUntil("the training is cancelled",
            async () => await orchestrator.StateOfAsync(trainingId) == TrainingStates.Cancelled, Bound);
        Assert.True(wins > 100, $"the other writer won only {wins} saves: no storm to speak of");
        Assert.Equal(0, (await infrastructure.QueueCountsAsync(ErrorQueue))?.Messages ?? 0);
    }

    /// <summary>Bumps the saga document's revision as fast as PostgreSQL takes it until cancelled: every save that loaded before conflicts.</summary>
    private async Task<int> WinEverySaveAsync(Guid trainingId, CancellationToken storm)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var bump = new NpgsqlCommand($"update \"{schema}\".mt_doc_trainingstate set mt_version = mt_version + 1 where id = @id", connection);
        bump.Parameters.AddWithValue("id", trainingId);
        var wins = 0;
        while (!storm.IsCancellationRequested)
        {
            wins += await bump.ExecuteNonQueryAsync(CancellationToken.None);
        }

        return wins;
    }

    private Task PublishAsync(string messageType, string message) => infrastructure.PublishRawAsync($"Pipeline.Contracts:{messageType}", $$"""
        { "messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:Pipeline.Contracts:{{messageType}}"], "message": {{message}} }
        """, "application/vnd.masstransit+json");
}
