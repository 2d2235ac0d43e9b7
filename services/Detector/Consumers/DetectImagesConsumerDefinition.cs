using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Detector.Consumers;

public sealed class DetectImagesConsumerDefinition : ConsumerDefinition<DetectImagesConsumer>
{
    public const int DefaultPrefetchCount = 2;
    public const int DefaultConcurrentMessageLimit = 1;

    public DetectImagesConsumerDefinition()
    {
        EndpointName = StageQueues.DetectImages;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DetectImagesConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Replicas share the queue, so throughput scales with replicas; within one, a forward pass already uses every
        // core, so one batch at a time, with the next one prefetched to hide the broker's round trip.
        var settings = context.GetRequiredService<IConfiguration>()
            .GetSection($"{EndpointSettings.Section}:{StageQueues.DetectImages}").Get<EndpointSettings>();
        endpointConfigurator.ConcurrentMessageLimit = settings?.ConcurrentMessageLimit ?? DefaultConcurrentMessageLimit;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = settings?.PrefetchCount ?? DefaultPrefetchCount;
        }

        endpointConfigurator.UseStageRetry(context);
        // ImagesDetected leaves only once the batch's file is written, never from an attempt that was retried.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
