using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadTrainingDataConsumerDefinition : StageConsumerDefinition<DownloadTrainingDataConsumer, DownloadTrainingData>
{
    public DownloadTrainingDataConsumerDefinition()
    {
        EndpointName = StageQueues.DownloadTrainingData;
        // Downloads are disk- and network-bound and large; Endpoints:download-training-data overrides this.
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureStage(IReceiveEndpointConfigurator endpointConfigurator, IRegistrationContext context)
    {
        // TrainingDataDownloaded leaves only once the whole import succeeded, never from a retried attempt.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
