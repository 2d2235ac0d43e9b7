using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Dashboard;

/// <summary>
/// Every transition and progress report, on a queue of this Orchestrator's own (temporary: it goes with the process),
/// so each replica's pages hear every training, not only those its saga endpoint happened to consume.
/// </summary>
public sealed class LiveEventsConsumer(LiveTrainingEvents live) : IConsumer<TrainingStateChanged>, IConsumer<TrainingProgressed>
{
    public Task Consume(ConsumeContext<TrainingStateChanged> context)
    {
        var changed = context.Message;
        live.Publish(new LiveEvent { Kind = "state", TrainingId = changed.TrainingId, From = changed.From, To = changed.To, Error = changed.Error, At = changed.At });
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<TrainingProgressed> context)
    {
        var progress = context.Message;
        live.Publish(new LiveEvent
        {
            Kind = "progress", TrainingId = progress.TrainingId, Iteration = progress.Iteration, TotalIterations = progress.TotalIterations,
            Loss = progress.Loss, MeanAveragePrecision = progress.MeanAveragePrecision, At = context.SentTime ?? DateTimeOffset.UtcNow,
        });
        return Task.CompletedTask;
    }
}
