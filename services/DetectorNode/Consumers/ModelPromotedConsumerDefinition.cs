using MassTransit;
using Microsoft.Extensions.Options;

namespace Pipeline.DetectorNode.Consumers;

public sealed class ModelPromotedConsumerDefinition : ConsumerDefinition<ModelPromotedConsumer>
{
    public ModelPromotedConsumerDefinition(IOptions<DetectorNodeSettings> options)
    {
        // Every node must see every promotion, so no two nodes share a queue (replicas of a stage do; nodes must not).
        // A named node keeps a durable queue, and finds the promotions made while it was down; an unnamed one gets a
        // temporary queue, deleted when it disconnects, and asks the status API for the current model when it starts.
        var node = options.Value.NodeName;
        var named = !string.IsNullOrWhiteSpace(node);
        EndpointName = named ? $"detector-node-{node}" : $"detector-node-{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid():N}";
        Endpoint(endpoint => endpoint.Temporary = !named);
        // One swap at a time: the follower loads a model beside the served one, and two at once would hold three.
        ConcurrentMessageLimit = 1;
    }
}
