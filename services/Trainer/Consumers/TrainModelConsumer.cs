using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

public sealed class TrainModelConsumer(ModelTraining training, RunningTrainings running, ILogger<TrainModelConsumer> logger) : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        using var lease = running.Start(command.TrainingId, context.CancellationToken);
        try
        {
            var result = await training.RunAsync(command, new PublishedTrainingEvents(context), lease.Token);
            await context.Publish(new ModelTrained
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt, ModelKey = result.ModelKey, Metrics = result.Metrics,
            });
        }
        catch (OperationCanceledException) when (lease.CancelledByRequest)
        {
            // Cancelled by the user: the message is done with, neither a result nor a fault.
            logger.LogInformation("Training {TrainingId} stopped: it was cancelled", command.TrainingId);
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
