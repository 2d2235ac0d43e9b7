using MassTransit;
using Pipeline.Contracts;
using Pipeline.Detector.Detection;

namespace Pipeline.Detector.Consumers;

public sealed class DetectImagesConsumer(BatchDetection detection) : IConsumer<DetectImages>
{
    public async Task Consume(ConsumeContext<DetectImages> context)
    {
        var command = context.Message;
        var batch = await detection.DetectAsync(command, context.CancellationToken);
        await context.Publish(new ImagesDetected
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            BatchIndex = command.BatchIndex,
            DetectionsKey = batch.DetectionsKey,
            ImageCount = batch.ImageCount,
            DetectionCount = batch.DetectionCount,
        }, context.CancellationToken);
    }
}
