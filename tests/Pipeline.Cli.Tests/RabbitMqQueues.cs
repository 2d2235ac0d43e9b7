using MassTransit;
using Pipeline.Contracts;
using Pipeline.Messaging;
using RabbitMQ.Client;

namespace Pipeline.Cli.Tests;

/// <summary>
/// A MassTransit receive endpoint with a unique name on the RabbitMQ that scripts/infra.sh started (PIPELINE_RABBITMQ_*
/// from the environment, the script's defaults otherwise), whose consumer fails every message: what lands in its _error
/// queue is what MassTransit itself puts there (envelope, fault headers), never a hand-made copy. Deleted afterwards.
/// </summary>
public sealed class RabbitMqQueues : IAsyncLifetime
{
    public const string FaultReason = "disk full";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly List<byte[]> consumedBodies = [];
    private IBusControl? bus;
    private IConnection connection = null!;
    private IChannel channel = null!;

    public string Queue { get; } = $"cli-test-{Guid.NewGuid():N}";
    public string ErrorQueue => Queue + "_error";
    public RabbitMqSettings Settings { get; } = CliEnvironment.FromProcess().RabbitMq;

    /// <summary>Declares the queue and its _error queue as MassTransit does, by starting the failing endpoint.</summary>
    public async Task InitializeAsync()
    {
        var factory = new ConnectionFactory
        {
            HostName = Settings.Host, Port = Settings.Port, UserName = Settings.Username, Password = Settings.Password,
            VirtualHost = Settings.VirtualHost,
        };
        connection = await factory.CreateConnectionAsync();
        channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(Settings.Host, Settings.Port, Settings.VirtualHost, host =>
            {
                host.Username(Settings.Username);
                host.Password(Settings.Password);
            });
            rabbit.ReceiveEndpoint(Queue, endpoint =>
            {
                // One at a time, so the _error queue holds the messages in the order they were sent.
                endpoint.PrefetchCount = 1;
                endpoint.ConcurrentMessageLimit = 1;
                // These test trainings are nobody's: their faults must not reach an Orchestrator on the same broker.
                endpoint.PublishFaults = false;
                endpoint.Consumer(() => new FailingConsumer(consumedBodies));
            });
        });
        await bus.StartAsync(new CancellationTokenSource(Bound).Token);
    }

    /// <summary>
    /// Sends one TrainModel per (training, attempt) to the queue, waits until the failing consumer has moved each to the
    /// _error queue, and stops consuming, so that whatever is replayed stays in the queue. Returns the bodies as consumed.
    /// </summary>
    public async Task<IReadOnlyList<string>> FaultAsync(params (Guid TrainingId, int Attempt)[] messages)
    {
        var endpoint = await bus!.GetSendEndpoint(new Uri($"queue:{Queue}"));
        foreach (var (trainingId, attempt) in messages)
        {
            await endpoint.Send(new TrainModel
            {
                TrainingId = trainingId, Attempt = attempt, DatasetKey = $"trainings/{trainingId}/dataset", Categories = [],
                Hyperparameters = new Hyperparameters(),
            });
        }

        var deadline = DateTime.UtcNow + Bound;
        while (await ErrorCountAsync() < messages.Length)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ErrorQueue} holds {await ErrorCountAsync()} of the {messages.Length} faulted messages after {Bound}.");
            }

            await Task.Delay(50);
        }

        await StopConsumingAsync();
        lock (consumedBodies)
        {
            return consumedBodies.Select(body => System.Text.Encoding.UTF8.GetString(body)).ToList();
        }
    }

    public async Task StopConsumingAsync()
    {
        if (bus is not null)
        {
            await bus.StopAsync(new CancellationTokenSource(Bound).Token);
            bus = null;
        }
    }

    /// <summary>Takes every message from a queue (acked), in order.</summary>
    public async Task<List<BasicGetResult>> DrainAsync(string queue)
    {
        var messages = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    public async Task<uint> CountAsync(string queue) => (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;

    // MassTransit declares the _error queue with the first fault; a passive declare of a missing queue closes its channel.
    private async Task<uint> ErrorCountAsync()
    {
        await using var probe = await connection.CreateChannelAsync();
        try
        {
            return (await probe.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    public async Task DisposeAsync()
    {
        await StopConsumingAsync();
        foreach (var name in new[] { Queue, ErrorQueue, Queue + "_skipped" })
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }

        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }

    private sealed class FailingConsumer(List<byte[]> bodies) : IConsumer<TrainModel>
    {
        public Task Consume(ConsumeContext<TrainModel> context)
        {
            lock (bodies)
            {
                bodies.Add(context.ReceiveContext.Body.GetBytes());
            }

            throw new IOException(FaultReason);
        }
    }
}
