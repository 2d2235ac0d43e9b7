using MassTransit;
using Pipeline.Contracts;
using Pipeline.DetectorNode.Models;

namespace Pipeline.DetectorNode.Consumers;

/// <summary>A project's current model moved: the follower loads it beside the one served and swaps, when the node follows that project.</summary>
public sealed class ModelPromotedConsumer(ModelFollower follower) : IConsumer<ModelPromoted>
{
    public Task Consume(ConsumeContext<ModelPromoted> context) => follower.PromotedAsync(context.Message, context.CancellationToken);
}
