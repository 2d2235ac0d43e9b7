using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// PostgreSQL away longer than Retry:OutageBudget (made tiny here): the saga's message goes to training-state_error, as
/// MassTransit does with a message that outlasts its retries. Nothing may stay lost there: once PostgreSQL answers, the
/// Orchestrator brings it back by itself and the training begins.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_a_saga_message_outlasts_the_outage_budget(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly string ErrorQueue = $"{StageQueues.Training}_error";

    private PrivatePostgres postgres = null!;
    private OrchestratorAlone orchestrator = null!;

    public async Task InitializeAsync()
    {
        postgres = await PrivatePostgres.StartAsync();
        await infrastructure.PurgeAsync(StageQueues.Training, ErrorQueue);
        orchestrator = await OrchestratorAlone.StartAsync(infrastructure, postgres.ConnectionString, "outage_budget", new Dictionary<string, string>
        {
            ["Retry:OutageBudget"] = "00:00:02",
            ["Retry:OutageMaxInterval"] = "00:00:00.500",
            ["SagaRecovery:Interval"] = "00:00:01",
        }, Bound);
    }

    public async Task DisposeAsync()
    {
        await orchestrator.DisposeAsync();
        await postgres.DisposeAsync();
        await infrastructure.PurgeAsync(StageQueues.Training, ErrorQueue);
    }

    [Fact]
    public async Task A_BeginTraining_sent_to_the_error_queue_by_the_outage_is_processed_once_PostgreSQL_is_back()
    {
        var trainingId = Guid.NewGuid();
        await postgres.StopAsync();

        await infrastructure.PublishRawAsync("Pipeline.Contracts:BeginTraining", $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "messageType": ["urn:message:Pipeline.Contracts:BeginTraining"],
              "message": {
                "trainingId": "{{trainingId}}", "organization": "outage", "project": "budget",
                "datasetUri": "file:///tmp/outage-budget-dataset", "hyperparameters": { "iterations": 5, "resolution": 48 }
              }
            }
            """, "application/vnd.masstransit+json");
        // The budget is two seconds: past it the message leaves the process for the error queue.
        await EndToEnd.RunningPipelineFixture.WaitUntil($"the BeginTraining is in {ErrorQueue}",
            async () => (await infrastructure.QueueCountsAsync(ErrorQueue))?.Messages == 1, Bound);
        await postgres.StartAgainAsync();

        await EndToEnd.RunningPipelineFixture.WaitUntil("the training begins", async () => await orchestrator.StateOfAsync(trainingId) is not null, Bound);
        Assert.Equal(0, (await infrastructure.QueueCountsAsync(ErrorQueue))?.Messages);
        using var queues = await orchestrator.Api.GetAsync("/queues");
        var saga = System.Text.Json.JsonDocument.Parse(await queues.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Single(queue => queue.GetProperty("queue").GetString() == StageQueues.Training);
        Assert.Equal(0, saga.GetProperty("failed").GetInt64());
    }
}
