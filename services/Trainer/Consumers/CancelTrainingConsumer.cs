using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

/// <summary>Stops this process's run of a cancelled training; every Trainer replica hears it on a queue of its own.</summary>
public sealed class CancelTrainingConsumer(RunningTrainings running, ILogger<CancelTrainingConsumer> logger) : IConsumer<TrainingCancelled>
{
    public Task Consume(ConsumeContext<TrainingCancelled> context)
    {
        if (running.Cancel(context.Message.TrainingId))
        {
            logger.LogInformation("Cancelling training {TrainingId}: {Reason}", context.Message.TrainingId, context.Message.Reason ?? "no reason given");
        }

        return Task.CompletedTask;
    }
}
