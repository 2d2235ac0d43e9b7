using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadDetectionsConsumerDefinition : ConsumerDefinition<UploadDetectionsConsumer>
{
    public UploadDetectionsConsumerDefinition()
    {
        EndpointName = StageQueues.UploadDetections;
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<UploadDetectionsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
        consumerConfigurator.HandBackOnShutdown<UploadDetectionsConsumer, UploadDetections>(context);
        consumerConfigurator.SkipCommandsOfEndedTrainings<UploadDetectionsConsumer, UploadDetections>(context);
    }
}
