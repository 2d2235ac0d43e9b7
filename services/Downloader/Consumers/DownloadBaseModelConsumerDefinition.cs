using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadBaseModelConsumerDefinition : ConsumerDefinition<DownloadBaseModelConsumer>
{
    public DownloadBaseModelConsumerDefinition()
    {
        EndpointName = StageQueues.DownloadBaseModel;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DownloadBaseModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
        consumerConfigurator.HandBackOnShutdown<DownloadBaseModelConsumer, DownloadBaseModel>(context);
        consumerConfigurator.SkipCommandsOfEndedTrainings<DownloadBaseModelConsumer, DownloadBaseModel>(context);
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
