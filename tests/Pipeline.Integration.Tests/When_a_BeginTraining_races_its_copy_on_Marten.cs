using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Orchestrator;
using Pipeline.Outbox;

namespace Pipeline.Integration.Tests;

/// <summary>
/// Two copies of one BeginTraining reach two Orchestrators (the real composition: saga in Marten on PostgreSQL) at once.
/// The test holds inserts into the saga's table until both have loaded nothing and both are inserting a new training:
/// one insert wins, the other meets the existing document, and its retry loads the training the winner made.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_a_BeginTraining_races_its_copy_on_Marten(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly string[] Queues =
        [.. StageQueues.All, $"{StageQueues.Training}_error", $"{StageQueues.Training}_skipped"];

    private readonly string schema = infrastructure.NewSchema("duplicates");
    private readonly List<IHost> hosts = [];
    private readonly TrainingStateReceipts receipts = new();

    public Task InitializeAsync() => infrastructure.PurgeAsync(Queues);

    public async Task DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await infrastructure.PurgeAsync(Queues);
    }

    [Theory]
    [InlineData(false)] // another copy: the same training begun twice, each with its own message id
    [InlineData(true)] // the same message twice: a redelivery
    public async Task One_training_is_made_with_one_transition_and_one_DownloadTrainingData(bool sameMessageId)
    {
        var first = await StartOrchestrator();
        await StartOrchestrator();
        var store = first.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var table = store.Options.FindOrResolveDocumentType(typeof(TrainingState)).TableName.QualifiedName;
        var trainingId = NewId.NextGuid();
        var begin = new BeginTraining { TrainingId = trainingId, Organization = "it", Project = "duplicates", DatasetUri = "file:///nowhere" };

        await using (var holder = new NpgsqlConnection(infrastructure.PostgresConnectionString))
        {
            await holder.OpenAsync();
            await using var hold = await holder.BeginTransactionAsync();
            // SHARE mode lets the Orchestrators read the table (they find no training) but not insert into it.
            await using (var lockTable = new NpgsqlCommand($"lock table {table} in share mode", holder, hold))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            var bus = first.Services.GetRequiredService<IBus>();
            var messageId = NewId.NextGuid();
            await bus.Publish(begin, context => context.MessageId = messageId);
            await bus.Publish(begin, context => context.MessageId = sameMessageId ? messageId : NewId.NextGuid());
            // Both copies were loaded as new trainings and wait to insert: each Orchestrator got one (round robin), so
            // the partitioner inside one process could not keep them apart.
            await RunningPipelineFixture.WaitUntil("both Orchestrators insert the new training",
                async () => await BlockedInserts(table) == 2, Bound);
            await hold.CommitAsync();
        }

        await RunningPipelineFixture.WaitUntil("both copies are done with", () => Task.FromResult(receipts.Done == 2), Bound);
        var outbox = first.Services.GetRequiredService<OutboxStore>();
        await RunningPipelineFixture.WaitUntil("the outbox is delivered", async () => await Rows(outbox.MessagesTable) == 0, Bound);

        Assert.Equal(0, receipts.Faulted);
        Assert.Equal(0, (await infrastructure.QueueCountsAsync($"{StageQueues.Training}_error"))?.Messages ?? 0);
        Assert.Equal(0, (await infrastructure.QueueCountsAsync($"{StageQueues.Training}_skipped"))?.Messages ?? 0);
        await using var session = store.QuerySession();
        var training = (await session.LoadAsync<TrainingState>(trainingId))!;
        Assert.Equal("DataDownloading", training.CurrentState);
        Assert.Single(training.History, t => t.To == "Initialized");
        Assert.Single(training.History, t => t.To == "DataDownloading");
        Assert.Equal(1, (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages);
        Assert.Equal(1, await Rows($"{table} where id = '{trainingId}'"));
    }

    private async Task<IHost> StartOrchestrator()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings());
        builder.AddOrchestrator(options => options.DatabaseSchemaName = schema);
        var host = builder.Build();
        hosts.Add(host);
        host.Services.GetRequiredService<IBus>().ConnectReceiveObserver(receipts);
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
        return host;
    }

    private async Task<long> BlockedInserts(string table)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"select count(*) from pg_locks where not granted and relation = '{table}'::regclass", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private async Task<long> Rows(string from)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"select count(*) from {from}", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Messages of the saga's queue that either Orchestrator finished with: acknowledged, or faulted.</summary>
    private sealed class TrainingStateReceipts : IReceiveObserver
    {
        private int done;
        private int faulted;

        public int Done => Volatile.Read(ref done);

        public int Faulted => Volatile.Read(ref faulted);

        public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

        public Task PostReceive(ReceiveContext context)
        {
            if (IsSaga(context))
            {
                Interlocked.Increment(ref done);
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class =>
            Task.CompletedTask;

        public Task ReceiveFault(ReceiveContext context, Exception exception)
        {
            if (IsSaga(context))
            {
                Interlocked.Increment(ref faulted);
                Interlocked.Increment(ref done);
            }

            return Task.CompletedTask;
        }

        private static bool IsSaga(ReceiveContext context) => context.InputAddress.AbsolutePath.EndsWith($"/{StageQueues.Training}", StringComparison.Ordinal);
    }
}
