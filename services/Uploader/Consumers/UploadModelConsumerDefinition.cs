using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadModelConsumerDefinition : ConsumerDefinition<UploadModelConsumer>
{
    public UploadModelConsumerDefinition()
    {
        EndpointName = StageQueues.UploadModel;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<UploadModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
        consumerConfigurator.HandBackOnShutdown<UploadModelConsumer, UploadModel>(context);
        consumerConfigurator.SkipCommandsOfEndedTrainings<UploadModelConsumer, UploadModel>(context);
    }
}
