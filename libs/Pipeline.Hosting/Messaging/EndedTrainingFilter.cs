using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Artifacts;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// A stage command of a training whose scratch is already dropped is acknowledged without running: it is a late copy
/// (an outbox row sent again after its relay died between the send and the delete, a redelivery after a lost
/// connection), and running it would only fault on the missing input and land in the _error queue.
/// </summary>
public sealed class EndedTrainingFilter<TConsumer, TMessage>(IArtifactStore store, ILogger logger)
    : IFilter<ConsumerConsumeContext<TConsumer, TMessage>>
    where TConsumer : class
    where TMessage : class
{
    public Task Send(ConsumerConsumeContext<TConsumer, TMessage> context, IPipe<ConsumerConsumeContext<TConsumer, TMessage>> next)
    {
        if (TrainingIdOf<TMessage>.Read?.Invoke(context.Message) is { } trainingId && store.HasEnded(trainingId))
        {
            logger.LogInformation("{MessageType} {MessageId} of {TrainingId} came after the training ended and its scratch was dropped: acknowledged, not run",
                typeof(TMessage).Name, context.MessageId, trainingId);
            return Task.CompletedTask;
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("endedTraining");
}

public static class EndedTrainingConfiguration
{
    /// <summary>A copy of this stage command that arrives after its training's scratch is dropped is acknowledged, not run.</summary>
    public static void SkipCommandsOfEndedTrainings<TConsumer, TMessage>(this IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context)
        where TConsumer : class
        where TMessage : class
    {
        var store = context.GetRequiredService<IArtifactStore>();
        var logger = context.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EndedTrainingFilter<,>).Namespace + ".EndedTraining");
        consumer.ConsumerMessage<TMessage>(message => message.UseFilter(new EndedTrainingFilter<TConsumer, TMessage>(store, logger)));
    }
}
