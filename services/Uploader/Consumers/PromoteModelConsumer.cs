using MassTransit;
using Pipeline.Contracts;
using Pipeline.Uploader.Registry;

namespace Pipeline.Uploader.Consumers;

public sealed class PromoteModelConsumer(ModelPromoter promoter, ILogger<PromoteModelConsumer> logger) : IConsumer<PromoteModel>
{
    public async Task Consume(ConsumeContext<PromoteModel> context)
    {
        var command = context.Message;
        logger.LogInformation("Promoting model {ModelId} by a user's override", command.ModelId);
        // A message without an id (a hand-written one) cannot be recognised again; at worst it is announced twice.
        await promoter.PromoteAsync(command, context.MessageId ?? NewId.NextGuid(), context.CancellationToken);
    }
}
