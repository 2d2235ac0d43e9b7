using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

public sealed class TrainModelConsumer(
    ModelTraining training, TrainingLeases leases, RunningTrainings running, StageStarts starts, IHostApplicationLifetime lifetime,
    ILogger<TrainModelConsumer> logger)
    : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        var (outcome, trainingLease) = await leases.TakeAsync(command.TrainingId, command.Attempt, context.CancellationToken);
        if (trainingLease is null)
        {
            await NotTaken(context, outcome);
            return;
        }

        using var heldLease = trainingLease;
        using var run = running.Start(command.TrainingId, command.Attempt, context.CancellationToken, trainingLease.Lost);
        await starts.PublishAsync(TrainingStages.TrainingRunning, command.TrainingId, command.Attempt, context.CancellationToken);
        try
        {
            var result = await training.RunAsync(command, new PublishedTrainingEvents(context, logger), run.StopToken, run.Token,
                new TrainingInterruptions(lifetime.ApplicationStopping, trainingLease.StillHeld));
            await context.Publish(new ModelTrained
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt, ModelKey = result.ModelKey, Metrics = result.Metrics,
                StoppedAtIteration = result.StoppedAtIteration, CurrentModel = result.CurrentModel,
            }, context.CancellationToken);
        }
        catch (Exception) when (run.CancelledByRequest || trainingLease.Lost.IsCancellationRequested)
        {
            // Cancelled by the user, or replaced by a newer attempt: the message is done with, neither a result nor a fault.
            // Not only the cancellation itself ends up here: a cancel also has every service drop the training's scratch,
            // so the dataset can vanish under a training between two cancellation checks (mid-evaluation, say).
            logger.LogInformation("Training {TrainingId} (attempt {Attempt}) stopped: it was cancelled or superseded", command.TrainingId, command.Attempt);
        }
    }

    private async Task NotTaken(ConsumeContext<TrainModel> context, TrainingLease.Outcome outcome)
    {
        var command = context.Message;
        switch (outcome)
        {
            case TrainingLease.Outcome.Superseded:
                logger.LogInformation("Training {TrainingId} has moved on to a newer attempt: this copy (attempt {Attempt}) is stale", command.TrainingId, command.Attempt);
                break;
            case TrainingLease.Outcome.Duplicate:
                // The holder's own delivery of this attempt is unacknowledged: should it die, that copy comes back.
                logger.LogInformation("Training {TrainingId} attempt {Attempt} is already being trained by a live Trainer: this copy is a duplicate",
                    command.TrainingId, command.Attempt);
                break;
            case TrainingLease.Outcome.Ended:
                logger.LogInformation("Training {TrainingId} has ended and its scratch is dropped: this copy (attempt {Attempt}) is acknowledged, not run",
                    command.TrainingId, command.Attempt);
                break;
            default:
                // An older attempt's holder neither yielded nor went silent in time: try again later rather than drop the attempt.
                logger.LogWarning("Training {TrainingId} is still held by an older attempt's Trainer: attempt {Attempt} goes back to the queue",
                    command.TrainingId, command.Attempt);
                await context.HandBackAsync();
                break;
        }
    }

    /// <summary>
    /// Reports are not worth the training: one the broker does not take (away, or frozen past the publish's confirm)
    /// is logged and the training goes on, since the next report carries the figures again and ModelTrained the best
    /// metrics. Before this a broker paused for 35 s faulted the TrainModel under way into train-model_error.
    /// </summary>
    private sealed class PublishedTrainingEvents(ConsumeContext context, ILogger logger) : ITrainingEvents
    {
        public Task ProgressedAsync(TrainingProgressed progress, CancellationToken cancellationToken) =>
            ReportAsync(progress, progress.TrainingId, cancellationToken);

        public Task MetricsImprovedAsync(TrainingMetricsImproved improved, CancellationToken cancellationToken) =>
            ReportAsync(improved, improved.TrainingId, cancellationToken);

        private async Task ReportAsync<T>(T report, Guid trainingId, CancellationToken cancellationToken)
            where T : class
        {
            try
            {
                await context.Publish(report, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("{Report} of {TrainingId} did not reach the broker ({Reason}): the training goes on, the next report carries it",
                    typeof(T).Name, trainingId, exception.Message);
            }
        }
    }
}
