using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Hosting.Messaging;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

public sealed class TrainModelConsumer(
    ModelTraining training, RunningTrainings running, StageStarts starts, IArtifactStore store, ILogger<TrainModelConsumer> logger)
    : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        // Another Trainer holds this training and its own unacknowledged copy of the command: should it die, that copy
        // comes back to the queue, so this duplicate can go.
        using var trainingLock = TrainingLock.TryAcquire(store, command.TrainingId);
        if (trainingLock is null)
        {
            logger.LogWarning("Training {TrainingId} is being trained by another Trainer: this copy (attempt {Attempt}) is dropped",
                command.TrainingId, command.Attempt);
            return;
        }

        using var lease = running.Start(command.TrainingId, command.Attempt, context.CancellationToken);
        await starts.PublishAsync(TrainingStages.TrainingRunning, command.TrainingId, command.Attempt, context.CancellationToken);
        try
        {
            var result = await training.RunAsync(command, new PublishedTrainingEvents(context), lease.StopToken, lease.Token);
            await context.Publish(new ModelTrained
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt, ModelKey = result.ModelKey, Metrics = result.Metrics,
                StoppedAtIteration = result.StoppedAtIteration, CurrentModel = result.CurrentModel,
            });
        }
        catch (Exception) when (lease.CancelledByRequest)
        {
            // Cancelled by the user, or replaced by a newer attempt: the message is done with, neither a result nor a fault.
            // Not only the cancellation itself ends up here: a cancel also has every service drop the training's scratch,
            // so the dataset can vanish under a training between two cancellation checks (mid-evaluation, say).
            logger.LogInformation("Training {TrainingId} (attempt {Attempt}) stopped: it was cancelled or superseded", command.TrainingId, command.Attempt);
        }
    }

    private sealed class PublishedTrainingEvents(ConsumeContext context) : ITrainingEvents
    {
        public Task ProgressedAsync(TrainingProgressed progress, CancellationToken cancellationToken) =>
            context.Publish(progress, cancellationToken);

        public Task MetricsImprovedAsync(TrainingMetricsImproved improved, CancellationToken cancellationToken) =>
            context.Publish(improved, cancellationToken);
    }
}
