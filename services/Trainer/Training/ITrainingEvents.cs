using Pipeline.Contracts;

namespace Pipeline.Trainer.Training;

/// <summary>What a running training tells the world; the consumer publishes, tests record.</summary>
public interface ITrainingEvents
{
    Task ProgressedAsync(TrainingProgressed progress, CancellationToken cancellationToken);

    Task MetricsImprovedAsync(TrainingMetricsImproved improved, CancellationToken cancellationToken);
}
