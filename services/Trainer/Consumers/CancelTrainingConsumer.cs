using MassTransit;
using Pipeline.Contracts;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

/// <summary>
/// Stops this process's run of a cancelled training, or of an attempt a newer one replaced, and has a training that
/// is to stop early end after its iteration; every Trainer replica hears all three on a queue of its own.
/// </summary>
public sealed class CancelTrainingConsumer(RunningTrainings running, ILogger<CancelTrainingConsumer> logger)
    : IConsumer<TrainingCancelled>, IConsumer<StageAttemptSuperseded>, IConsumer<TrainingStopRequested>
{
    public Task Consume(ConsumeContext<TrainingStopRequested> context)
    {
        var stop = context.Message;
        if (running.RequestStop(stop.TrainingId, stop.Attempt))
        {
            logger.LogInformation("Stopping training {TrainingId} (attempt {Attempt}) after its current iteration: {Reason}",
                stop.TrainingId, stop.Attempt, stop.Reason ?? "no reason given");
        }

        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<TrainingCancelled> context)
    {
        if (running.Cancel(context.Message.TrainingId))
        {
            logger.LogInformation("Cancelling training {TrainingId}: {Reason}", context.Message.TrainingId, context.Message.Reason ?? "no reason given");
        }

        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<StageAttemptSuperseded> context)
    {
        var superseded = context.Message;
        if (superseded.Stage == TrainingStates.TrainingRunning && running.Supersede(superseded.TrainingId, superseded.Attempt))
        {
            logger.LogWarning("Stopping attempt {Attempt} of training {TrainingId}: attempt {CurrentAttempt} replaces it",
                superseded.Attempt, superseded.TrainingId, superseded.CurrentAttempt);
        }

        return Task.CompletedTask;
    }
}
