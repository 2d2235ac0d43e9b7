using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Consumers;

public sealed class PromoteModelConsumerDefinition : ConsumerDefinition<PromoteModelConsumer>
{
    public PromoteModelConsumerDefinition()
    {
        EndpointName = StageQueues.PromoteModel;
        // One at a time: promotions of one project would only conflict and retry.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<PromoteModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
        consumerConfigurator.HandBackOnShutdown<PromoteModelConsumer, PromoteModel>(context);
    }
}
