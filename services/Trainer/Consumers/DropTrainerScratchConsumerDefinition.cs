using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Trainer.Consumers;

public sealed class DropTrainerScratchConsumerDefinition : ConsumerDefinition<DropTrainerScratchConsumer>
{
    public DropTrainerScratchConsumerDefinition()
    {
        // An event, so the Trainer's own queue: every service subscribes to cleanup with a queue of its own.
        EndpointName = "trainer-cleanup";
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DropTrainerScratchConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
    }
}
