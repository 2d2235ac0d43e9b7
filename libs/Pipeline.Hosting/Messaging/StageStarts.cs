using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Says that this worker took a stage's command from its queue: the Orchestrator's silence deadline runs from now, and
/// if the attempt is no longer the training's it answers <see cref="StageAttemptSuperseded"/>. Published on the bus
/// itself, past the consumer's in-memory outbox, which would hold it back until the work is done.
/// </summary>
public sealed class StageStarts(IBus bus)
{
    public Task PublishAsync(TrainingStage stage, Guid trainingId, int attempt, CancellationToken cancellationToken) =>
        bus.Publish(new StageStarted { TrainingId = trainingId, Attempt = attempt, Stage = stage.Running }, cancellationToken);
}
