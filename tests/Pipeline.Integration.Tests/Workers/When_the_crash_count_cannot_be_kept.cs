using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Hosting.Messaging;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// The crash count lives in the artifact store, which can fail: a disk that refuses writes, a count file cut to 0 bytes
/// by a power loss. The command still runs, once, and is acknowledged; nothing goes to _error and no fault is reported.
/// A stage consumer on the real RabbitMQ with the stages' retry policy stands in for a worker.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_crash_count_cannot_be_kept(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Queue = "crash-count-probe";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string root = Directory.CreateTempSubdirectory("pipeline-crash-count-").FullName;
    private readonly ProbeRecord record = new();
    private IHost host = null!;

    /// <summary>Where the filter keeps this queue's counts: named by the queue's address, virtual host included.</summary>
    private string CountFolder => Path.Combine(root, "crashes",
        infrastructure.RabbitMqVirtualHost is "/" or "" ? Queue : $"{infrastructure.RabbitMqVirtualHost.Trim('/').Replace('/', '-')}-{Queue}");

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings());
        builder.Configuration["Artifacts:Root"] = root;
        builder.Services.AddSingleton(record);
        builder.AddPipelineDefaults("crash-count-probe", bus =>
        {
            bus.AddConsumer<ProbeConsumer, ProbeConsumerDefinition>();
            bus.AddConsumer<ProbeFaultConsumer>().Endpoint(e => e.Name = "crash-count-probe-faults");
        });
        host = builder.Build();
        await host.StartAsync();
        await infrastructure.PurgeAsync(Queue, $"{Queue}_error");
    }

    public async Task DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task A_store_that_refuses_the_count_still_runs_the_command_once()
    {
        // A file where the queue's count folder should be: every count write fails, as on a full or read-only volume.
        Directory.CreateDirectory(Path.GetDirectoryName(CountFolder)!);
        await File.WriteAllTextAsync(CountFolder, "in the way");

        var messageId = await SendAsync();

        await AssertRanOnceAndAcknowledged(messageId);
    }

    [Fact]
    public async Task A_count_file_cut_to_nothing_counts_one_crash_and_the_command_runs()
    {
        var messageId = NewId.NextGuid();
        Directory.CreateDirectory(CountFolder);
        await File.WriteAllBytesAsync(Path.Combine(CountFolder, messageId.ToString("N")), []);

        await SendAsync(messageId);

        await AssertRanOnceAndAcknowledged(messageId);
        // The count goes once the delivery ends, a moment after the consumer returns.
        await RunningPipelineFixture.WaitUntil("the count file is removed", () =>
            Task.FromResult(!File.Exists(Path.Combine(CountFolder, messageId.ToString("N")))), Bound);
    }

    private async Task<Guid> SendAsync(Guid? messageId = null)
    {
        var id = messageId ?? NewId.NextGuid();
        var endpoint = await host.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(new Uri($"queue:{Queue}"));
        await endpoint.Send(new DownloadBaseModel { TrainingId = Guid.NewGuid(), Attempt = 1, ModelId = Guid.NewGuid() }, send => send.MessageId = id);
        return id;
    }

    private async Task AssertRanOnceAndAcknowledged(Guid messageId)
    {
        await RunningPipelineFixture.WaitUntil("the probe consumed the command", () => Task.FromResult(record.Consumed.Contains(messageId)), Bound);
        await RunningPipelineFixture.WaitUntil($"{Queue} is empty", async () => (await infrastructure.QueueCountsAsync(Queue))?.Messages == 0, Bound);
        Assert.Single(record.Consumed, messageId);
        Assert.Equal(0, (await infrastructure.QueueCountsAsync($"{Queue}_error"))?.Messages ?? 0);
        Assert.Empty(record.Faults);
    }

    public sealed class ProbeRecord
    {
        public System.Collections.Concurrent.ConcurrentBag<Guid> Consumed { get; } = [];
        public System.Collections.Concurrent.ConcurrentBag<Guid> Faults { get; } = [];
    }

    public sealed class ProbeConsumer(ProbeRecord record) : IConsumer<DownloadBaseModel>
    {
        public Task Consume(ConsumeContext<DownloadBaseModel> context)
        {
            record.Consumed.Add(context.MessageId!.Value);
            return Task.CompletedTask;
        }
    }

    public sealed class ProbeConsumerDefinition : ConsumerDefinition<ProbeConsumer>
    {
        public ProbeConsumerDefinition() => EndpointName = Queue;

        protected override void ConfigureConsumer(
            IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ProbeConsumer> consumerConfigurator, IRegistrationContext context)
        {
            endpointConfigurator.ConfigureConsumeTopology = false;
            endpointConfigurator.UseStageRetry(context);
        }
    }

    public sealed class ProbeFaultConsumer(ProbeRecord record) : IConsumer<Fault<DownloadBaseModel>>
    {
        public Task Consume(ConsumeContext<Fault<DownloadBaseModel>> context)
        {
            record.Faults.Add(context.Message.FaultedMessageId ?? Guid.Empty);
            return Task.CompletedTask;
        }
    }
}
