using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Detector.Consumers;

public sealed class DropDetectionsConsumerDefinition : ConsumerDefinition<DropDetectionsConsumer>
{
    public DropDetectionsConsumerDefinition()
    {
        // An event, so the Detector's own queue, shared by its replicas: one of them drops the folder.
        EndpointName = "detector-cleanup";
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DropDetectionsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
    }
}
