using MassTransit;

namespace Pipeline.Trainer.Consumers;

public sealed class CancelTrainingConsumerDefinition : ConsumerDefinition<CancelTrainingConsumer>
{
    public CancelTrainingConsumerDefinition()
    {
        // A queue per process (auto-deleted with it), not one shared queue: the replica running the training must
        // hear the cancel, and with a shared queue any other replica could take it instead.
        Endpoint(endpoint =>
        {
            endpoint.Temporary = true;
            endpoint.InstanceId = NewId.Next().ToString("N")[^12..];
        });
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CancelTrainingConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // The training's own endpoint is busy for hours; the cancel must not wait behind it.
        endpointConfigurator.ConcurrentMessageLimit = 4;
    }
}
