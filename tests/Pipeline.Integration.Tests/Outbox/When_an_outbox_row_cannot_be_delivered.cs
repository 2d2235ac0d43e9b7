using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Pipeline.Contracts;
using Pipeline.Hosting.Web;
using Pipeline.Cli;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Api;
using Pipeline.Outbox;

namespace Pipeline.Integration.Tests.Outbox;

/// <summary>
/// A row that can never be sent as it is (its type is gone after an upgrade, its body lacks a required property) is
/// parked with its reason, and the rows after it leave; the operator sees it in the status API's queues and puts it
/// back once fixed.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_an_outbox_row_cannot_be_delivered(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Token = "outbox-operator-token";

    private readonly OutboxServices services = new(infrastructure, infrastructure.NewSchema("outbox_parking"));
    private WebApplication? orchestrator;

    public Task InitializeAsync() => infrastructure.PurgeAsync(StageQueues.DownloadTrainingData);

    public async Task DisposeAsync()
    {
        if (orchestrator is not null)
        {
            await orchestrator.StopAsync();
            await orchestrator.DisposeAsync();
        }

        await services.DisposeAsync();
        await infrastructure.PurgeAsync(StageQueues.DownloadTrainingData);
    }

    [Fact]
    public async Task It_is_parked_with_its_reason_the_rows_after_it_are_delivered_and_the_queues_API_lists_it()
    {
        var writer = await services.StartAsync("orchestrator", deliver: false);
        var first = await OutboxServices.SendDownloadAsync(writer);
        var renamed = await OutboxServices.SendDownloadAsync(writer);
        var incomplete = await OutboxServices.SendDownloadAsync(writer);
        var last = await OutboxServices.SendDownloadAsync(writer);
        // What an upgrade leaves: a contract type renamed since the row was written, and one that gained a required property.
        await services.ExecuteAsync(
            $"update {services.Table} set message_type = 'Pipeline.Contracts.DownloadTrainingDataV0, Pipeline.Contracts' where message_id = $1", renamed);
        await services.ExecuteAsync($"update {services.Table} set body = body - 'DatasetUri' where message_id = $1", incomplete);

        var api = await StartOrchestratorAsync();

        await RunningPipelineFixture.WaitUntil("the rows around the undeliverable ones are delivered", async () =>
            !await services.IsWaitingAsync(first) && !await services.IsWaitingAsync(last), OutboxServices.Bound);
        Assert.Equal(2, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
        Assert.Contains("DownloadTrainingDataV0", await ParkedReasonAsync(renamed));
        Assert.Contains("DatasetUri", await ParkedReasonAsync(incomplete));

        var outbox = await api.GetFromJsonAsync<JsonElement>("/queues/outbox");
        var orchestratorOutbox = Assert.Single(outbox.EnumerateArray(), service => service.GetProperty("service").GetString() == "orchestrator");
        var parked = orchestratorOutbox.GetProperty("parked").EnumerateArray().ToDictionary(row => row.GetProperty("messageId").GetGuid());
        Assert.Equal(new[] { renamed, incomplete }.Order(), parked.Keys.Order());
        Assert.Contains("DownloadTrainingDataV0", parked[renamed].GetProperty("reason").GetString());
        Assert.Contains("DatasetUri", parked[incomplete].GetProperty("reason").GetString());

        var (listed, queues) = await PipelineCommand.RunAsync(infrastructure, api.BaseAddress!, Token, "queues");
        Assert.True(listed == ExitCodes.Ok, queues);
        Assert.True(queues.Contains($"parked {renamed} orchestrator DownloadTrainingData") && queues.Contains("DownloadTrainingDataV0")
            && queues.Contains("pipeline outbox retry"), queues);

        // The operator puts the property back and un-parks the row: it leaves with its own message id.
        await services.ExecuteAsync($"update {services.Table} set body = body || '{{\"DatasetUri\": \"file:///fixed\"}}' where message_id = $1", incomplete);
        var (retried, output) = await PipelineCommand.RunAsync(infrastructure, api.BaseAddress!, Token, "outbox", "retry", incomplete.ToString());
        Assert.True(retried == ExitCodes.Ok, output);

        await RunningPipelineFixture.WaitUntil("the un-parked row is delivered", async () => !await services.IsWaitingAsync(incomplete), OutboxServices.Bound);
        Assert.Equal(3, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
        Assert.True(await services.IsWaitingAsync(renamed));
    }

    private Task<string> ParkedReasonAsync(Guid messageId) =>
        services.ExecuteScalarAsync<string>($"select parked_reason from {services.Table} where message_id = $1 and parked_at is not null", messageId);

    /// <summary>The Orchestrator with its relay and its status API's queues, as its own account, on loopback.</summary>
    private async Task<HttpClient> StartOrchestratorAsync()
    {
        await infrastructure.GrantAsOnDefaultVirtualHostAsync(InfrastructureFixture.Account("orchestrator").RabbitMqUser);
        var url = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RabbitMq:Username"] = InfrastructureFixture.Account("orchestrator").RabbitMqUser,
            ["RabbitMq:Password"] = InfrastructureFixture.Account("orchestrator").RabbitMqPassword,
            [$"{OutboxSettings.Section}:{nameof(OutboxSettings.PollInterval)}"] = "00:00:00.200",
            ["Urls"] = url,
            [$"{StatusApiAccess.Section}:{nameof(ApiAccessSettings.OperatorTokens)}:0"] = Token,
        });
        builder.AddOrchestrator(options => options.DatabaseSchemaName = services.Schema);
        builder.Services.AddStatusApiSettings(builder.Configuration);
        orchestrator = builder.Build();
        orchestrator.UseApiAccess();
        orchestrator.MapQueues();
        await orchestrator.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(url), Timeout = OutboxServices.Bound };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return client;
    }
}
