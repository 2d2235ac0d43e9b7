using Pipeline.Contracts;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Outbox;

/// <summary>
/// The Orchestrator and the Uploader write into the outbox of one schema; each relay delivers its own service's rows
/// with its own least-privilege account, so a relay the broker refuses holds up neither the other relay nor apply-schema.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_two_services_keep_outbox_rows(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private readonly OutboxServices services = new(infrastructure, infrastructure.NewSchema("outbox_owners"));

    public Task InitializeAsync() => infrastructure.PurgeAsync(StageQueues.DownloadTrainingData);

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await infrastructure.PurgeAsync(StageQueues.DownloadTrainingData);
    }

    [Fact]
    public async Task The_Uploaders_relay_leaves_the_Orchestrators_rows_and_the_Orchestrators_relay_the_Uploaders()
    {
        var orchestratorWriter = await services.StartAsync("orchestrator", deliver: false);
        var uploaderWriter = await services.StartAsync("uploader", deliver: false);
        // Each service's row before the other's: a relay that took the oldest rows whoever wrote them would take it first.
        var command = await OutboxServices.SendDownloadAsync(orchestratorWriter);
        var uploaded = await OutboxServices.PublishDetectionsUploadedAsync(uploaderWriter);

        await services.StartAsync("uploader", deliver: true);
        await RunningPipelineFixture.WaitUntil("the Uploader's relay delivered its row", async () => !await services.IsWaitingAsync(uploaded), OutboxServices.Bound);
        Assert.True(await services.IsWaitingAsync(command), "the Uploader's relay took the Orchestrator's command");

        var promoted = await OutboxServices.PublishDetectionsUploadedAsync(uploaderWriter);
        var later = await OutboxServices.SendDownloadAsync(orchestratorWriter);
        await services.StartAsync("orchestrator", deliver: true);
        await RunningPipelineFixture.WaitUntil("the Orchestrator's relay delivered its commands", async () =>
            !await services.IsWaitingAsync(command) && !await services.IsWaitingAsync(later), OutboxServices.Bound);
        await RunningPipelineFixture.WaitUntil("the Uploader's relay delivered its later row", async () => !await services.IsWaitingAsync(promoted), OutboxServices.Bound);
        Assert.Equal(2, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
    }

    [Fact]
    public async Task The_Orchestrators_relay_leaves_the_Uploaders_rows_though_its_account_could_publish_them()
    {
        var uploaderWriter = await services.StartAsync("uploader", deliver: false);
        var orchestratorWriter = await services.StartAsync("orchestrator", deliver: false);
        var uploaded = await OutboxServices.PublishDetectionsUploadedAsync(uploaderWriter);
        var command = await OutboxServices.SendDownloadAsync(orchestratorWriter);

        await services.StartAsync("orchestrator", deliver: true);
        await RunningPipelineFixture.WaitUntil("the Orchestrator's relay delivered its command", async () => !await services.IsWaitingAsync(command), OutboxServices.Bound);

        Assert.True(await services.IsWaitingAsync(uploaded), "the Orchestrator's relay took the Uploader's row");
    }

    [Fact]
    public async Task A_row_from_before_rows_named_their_service_is_left_by_the_Uploader_and_delivered_by_the_Orchestrator()
    {
        var orchestratorWriter = await services.StartAsync("orchestrator", deliver: false);
        var legacy = await OutboxServices.SendDownloadAsync(orchestratorWriter);
        await services.ExecuteAsync($"update {services.Table} set owner = null where message_id = $1", legacy);
        var uploaderWriter = await services.StartAsync("uploader", deliver: false);
        var uploaded = await OutboxServices.PublishDetectionsUploadedAsync(uploaderWriter);

        await services.StartAsync("uploader", deliver: true);
        await RunningPipelineFixture.WaitUntil("the Uploader's relay delivered its row", async () => !await services.IsWaitingAsync(uploaded), OutboxServices.Bound);
        Assert.True(await services.IsWaitingAsync(legacy), "the Uploader's relay took a row its account may not send");

        await services.StartAsync("orchestrator", deliver: true);
        await RunningPipelineFixture.WaitUntil("the Orchestrator's relay delivered the row without a service", async () => !await services.IsWaitingAsync(legacy), OutboxServices.Bound);
        Assert.Equal(1, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
    }

    [Fact]
    public async Task A_relay_the_broker_refuses_holds_up_neither_another_services_relay_nor_apply_schema()
    {
        var orchestratorWriter = await services.StartAsync("orchestrator", deliver: false);
        // The Uploader's relay running, with a row of its own its account may not send (a stage command), and the
        // Orchestrator's commands committed while no Orchestrator relays: what issue 18's outage left behind.
        await services.StartAsync("uploader", deliver: true);
        var commands = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            commands.Add(await OutboxServices.SendDownloadAsync(orchestratorWriter));
        }

        var uploaderWriter = await services.StartAsync("uploader", deliver: false);
        var refused = await OutboxServices.SendDownloadAsync(uploaderWriter);
        await services.StartAsync("orchestrator", deliver: true);

        await RunningPipelineFixture.WaitUntil("the Orchestrator's relay delivered its commands", async () =>
        {
            foreach (var command in commands)
            {
                if (await services.IsWaitingAsync(command))
                {
                    return false;
                }
            }

            return true;
        }, OutboxServices.Bound);
        await services.ApplySchemaAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
        // The refused row is kept, parked for an operator with the broker's reason: sending it again cannot help.
        await RunningPipelineFixture.WaitUntil("the Uploader's relay parked the row its account may not send", async () =>
            await services.ExecuteScalarAsync<long>($"select count(*) from {services.Table} where message_id = $1 and parked_at is not null", refused) == 1,
            OutboxServices.Bound);
        Assert.Contains("ACCESS_REFUSED", await services.ExecuteScalarAsync<string>($"select parked_reason from {services.Table} where message_id = $1", refused));
    }
}
