using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Uploader.Registry;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadModelConsumer(StageStarts starts, ModelRegistrar registrar, ILogger<UploadModelConsumer> logger) : IConsumer<UploadModel>
{
    public async Task Consume(ConsumeContext<UploadModel> context)
    {
        var command = context.Message;
        logger.LogInformation("Registering the model of {TrainingId} from {ModelKey} in {Organization}/{Project}",
            command.TrainingId, command.ModelKey, command.Organization, command.Project);
        await starts.PublishAsync(TrainingStages.TrainModelUploading, command.TrainingId, command.Attempt, context.CancellationToken);
        // A message without an id (a hand-written one) cannot be recognised again; at worst it is announced twice.
        await registrar.RegisterAsync(command, context.MessageId ?? NewId.NextGuid(), context.CancellationToken);
    }
}
