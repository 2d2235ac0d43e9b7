using MassTransit;
using Microsoft.Extensions.Logging;
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
        var model = await registrar.RegisterAsync(command, context.CancellationToken);
        await context.Publish(new ModelUploaded
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            ModelId = model.Id,
            Version = model.Version,
            ModelKey = model.ModelKey,
        });
    }
}
