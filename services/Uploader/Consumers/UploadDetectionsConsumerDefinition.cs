using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadDetectionsConsumerDefinition : StageConsumerDefinition<UploadDetectionsConsumer, UploadDetections>
{
    public UploadDetectionsConsumerDefinition()
    {
        EndpointName = StageQueues.UploadDetections;
        ConcurrentMessageLimit = 2;
    }
}
