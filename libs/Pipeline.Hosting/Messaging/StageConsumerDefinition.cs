using MassTransit;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// A stage's consumer definition: every stage command goes through the same pipe, declared here once. The stage retry
/// (crash count, outages ridden out, bounded retries, <see cref="RetryConfiguration.UseStageRetry"/>), the hand-back of
/// work a stopping worker cancels, the commands of trainings already ended acknowledged unrun, and each run timed
/// (<see cref="StageDurationFilter{TConsumer, TMessage}"/>). A stage adds what is its own in <see cref="ConfigureStage"/>.
/// </summary>
public abstract class StageConsumerDefinition<TConsumer, TCommand> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer<TCommand>
    where TCommand : class
{
    protected sealed override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseStageRetry(context);
        consumerConfigurator.HandBackOnShutdown<TConsumer, TCommand>(context);
        consumerConfigurator.SkipCommandsOfEndedTrainings<TConsumer, TCommand>(context);
        consumerConfigurator.ConsumerMessage<TCommand>(message => message.UseFilter(new StageDurationFilter<TConsumer, TCommand>()));
        ConfigureStage(endpointConfigurator, context);
    }

    /// <summary>What this stage adds after the shared pipe, such as an in-memory outbox for its result.</summary>
    protected virtual void ConfigureStage(IReceiveEndpointConfigurator endpointConfigurator, IRegistrationContext context)
    {
    }
}
