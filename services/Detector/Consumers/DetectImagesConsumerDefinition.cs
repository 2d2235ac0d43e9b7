using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Detector.Consumers;

public sealed class DetectImagesConsumerDefinition : StageConsumerDefinition<DetectImagesConsumer, DetectImages>
{
    public DetectImagesConsumerDefinition()
    {
        EndpointName = StageQueues.DetectImages;
        // Replicas share the queue, so throughput scales with replicas; within one, a forward pass already uses every
        // core, so one batch at a time, with the next one prefetched to hide the broker's round trip.
        // Endpoints:detect-images overrides both (the hosting library applies it to every endpoint).
        ConcurrentMessageLimit = 1;
        Endpoint(endpoint => endpoint.PrefetchCount = 2);
    }

    protected override void ConfigureStage(IReceiveEndpointConfigurator endpointConfigurator, IRegistrationContext context)
    {
        // ImagesDetected leaves only once the batch's file is written, never from an attempt that was retried.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
