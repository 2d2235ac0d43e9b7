using MassTransit;
using Microsoft.Extensions.Logging;
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
        var recorded = await recorder.RecordAsync(command, context.CancellationToken);
        await context.Publish(new DetectionsUploaded
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            ImageCount = recorded.ImageCount,
            DetectionCount = recorded.DetectionCount,
            ExportKey = recorded.ExportKey,
        });
    }
}
