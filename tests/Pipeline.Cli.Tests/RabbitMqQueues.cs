using System.Text;
using Pipeline.Hosting.Messaging;
using RabbitMQ.Client;

namespace Pipeline.Cli.Tests;

/// <summary>
/// A queue and its _error queue with unique names on the RabbitMQ that scripts/infra.sh started
/// (PIPELINE_RABBITMQ_* from the environment, the script's defaults otherwise); deleted afterwards.
/// </summary>
public sealed class RabbitMqQueues : IAsyncLifetime
{
    public string Queue { get; } = $"cli-test-{Guid.NewGuid():N}";
    public string ErrorQueue => Queue + "_error";
    public RabbitMqSettings Settings { get; } = CliEnvironment.FromProcess().RabbitMq;

    private IConnection connection = null!;
    private IChannel channel = null!;

    public async Task InitializeAsync()
    {
        var factory = new ConnectionFactory
        {
            HostName = Settings.Host, Port = Settings.Port, UserName = Settings.Username, Password = Settings.Password,
            VirtualHost = Settings.VirtualHost,
        };
        connection = await factory.CreateConnectionAsync();
        channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false);
    }

    /// <summary>Puts a faulted message as MassTransit leaves it in the _error queue: its JSON envelope plus fault headers.</summary>
    public async Task<string> PutFaultedAsync(Guid trainingId, int attempt)
    {
        var messageId = Guid.NewGuid().ToString();
        var body = $$"""
            {"messageId":"{{messageId}}","conversationId":"{{Guid.NewGuid()}}","destinationAddress":"rabbitmq://localhost/{{Queue}}",
             "messageType":["urn:message:Pipeline.Contracts:TrainModel"],
             "message":{"trainingId":"{{trainingId}}","attempt":{{attempt}},"datasetKey":"trainings/x/dataset"},
             "sentTime":"2025-01-01T10:00:00Z","headers":{},"host":{"machineName":"test"} }
            """;
        var properties = new BasicProperties
        {
            MessageId = messageId, ContentType = "application/vnd.masstransit+json", Persistent = true,
            Headers = new Dictionary<string, object?>
            {
                ["MT-Fault-Message"] = Encoding.UTF8.GetBytes("disk full"),
                ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes("System.IO.IOException"),
                ["MT-Reason"] = Encoding.UTF8.GetBytes("fault"),
                ["MT-Host-MachineName"] = Encoding.UTF8.GetBytes("test"),
            },
        };
        await channel.BasicPublishAsync("", ErrorQueue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
        return body;
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

    public async Task DisposeAsync()
    {
        await channel.QueueDeleteAsync(Queue);
        await channel.QueueDeleteAsync(ErrorQueue);
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
