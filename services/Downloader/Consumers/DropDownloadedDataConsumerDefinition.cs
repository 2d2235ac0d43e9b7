using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Consumers;

public sealed class DropDownloadedDataConsumerDefinition : ConsumerDefinition<DropDownloadedDataConsumer>
{
    public DropDownloadedDataConsumerDefinition()
    {
        // An event, so the Downloader's own queue: every service subscribes to cleanup with a queue of its own.
        EndpointName = "downloader-cleanup";
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DropDownloadedDataConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
    }
}
