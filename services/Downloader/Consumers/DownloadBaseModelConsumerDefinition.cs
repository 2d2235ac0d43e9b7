using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadBaseModelConsumerDefinition : StageConsumerDefinition<DownloadBaseModelConsumer, DownloadBaseModel>
{
    public DownloadBaseModelConsumerDefinition()
    {
        EndpointName = StageQueues.DownloadBaseModel;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureStage(IReceiveEndpointConfigurator endpointConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
