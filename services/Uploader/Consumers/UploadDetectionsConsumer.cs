using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Uploader.Detections;

namespace Pipeline.Uploader.Consumers;

public sealed class UploadDetectionsConsumer(StageStarts starts, DetectionRecorder recorder, ILogger<UploadDetectionsConsumer> logger) : IConsumer<UploadDetections>
{
    public async Task Consume(ConsumeContext<UploadDetections> context)
    {
        var command = context.Message;
        logger.LogInformation("Storing {BatchCount} detection batches of {TrainingId}", command.DetectionKeys.Count, command.TrainingId);
        await starts.PublishAsync(TrainingStages.DetectionUploading, command.TrainingId, command.Attempt, context.CancellationToken);
        await recorder.RecordAsync(command, context.MessageId ?? NewId.NextGuid(), context.CancellationToken);
    }
}
