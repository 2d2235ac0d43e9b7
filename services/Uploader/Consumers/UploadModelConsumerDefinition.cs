using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadModelConsumerDefinition : StageConsumerDefinition<UploadModelConsumer, UploadModel>
{
    public UploadModelConsumerDefinition()
    {
        EndpointName = StageQueues.UploadModel;
        ConcurrentMessageLimit = 4;
    }
}
