using MassTransit;

namespace Pipeline.Trainer.Consumers;

public sealed class CancelTrainingConsumerDefinition : ConsumerDefinition<CancelTrainingConsumer>
{
    /// <summary>Longer than any broker outage a Trainer rides out; a cancel older than this has been acted on by the lease anyway.</summary>
    public static readonly TimeSpan QueueExpiry = TimeSpan.FromHours(1);

    public CancelTrainingConsumerDefinition()
    {
        // A queue per process, not one shared queue: the replica running the training must hear the cancel, and with a
        // shared queue any other replica could take it instead. Not deleted when the connection drops, so what is sent
        // while this process is cut off from the broker waits for it to come back; it expires once nobody has used it
        // for QueueExpiry (the process is gone for good).
        Endpoint(endpoint => endpoint.InstanceId = NewId.Next().ToString("N")[^12..]);
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CancelTrainingConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // The training's own endpoint is busy for hours; the cancel must not wait behind it.
        endpointConfigurator.ConcurrentMessageLimit = 4;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = false;
            rabbit.QueueExpiration = QueueExpiry;
        }
    }
}
