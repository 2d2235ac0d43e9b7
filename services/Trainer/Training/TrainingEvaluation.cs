using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Training;

namespace Pipeline.Trainer.Training;

/// <summary>
/// A training's evaluations on <paramref name="images"/>: every <paramref name="every"/> iterations and at the last one,
/// each new best kept as the training's best model (<see cref="ArtifactKeys.BestModel"/>) and announced as
/// <see cref="TrainingMetricsImproved"/>; at the end, the model handed over is the best evaluation's.
/// </summary>
/// <param name="best">The best evaluation before this run (from the checkpoint it resumes), or null.</param>
internal sealed class TrainingEvaluation(
    TrainModel command, IReadOnlyList<DatasetImage> images, int every, TrainingMetrics? best,
    IArtifactStore store, ITrainingEvents events, ILogger logger)
{
    private TrainingMetrics? last;

    /// <summary>The best evaluation so far, the one a checkpoint records.</summary>
    public TrainingMetrics? Best { get; private set; } = best;

    /// <returns>This iteration's evaluation, or null when none is due.</returns>
    public async Task<IterationEvaluation?> AfterStepAsync(DetectorTrainer trainer, TrainingStep step, bool ending, CancellationToken cancellationToken)
    {
        if (step.Iteration % Math.Max(1, every) != 0 && !ending)
        {
            return null;
        }

        var metrics = last = Evaluate(trainer, step.Iteration, step.Loss);
        var isNewBest = Best is null || metrics.MeanAveragePrecision > Best.MeanAveragePrecision;
        if (isNewBest)
        {
            Best = metrics;
            logger.LogInformation("Training {TrainingId} improved to mAP@0.5 {MeanAveragePrecision:F3} at iteration {Iteration}",
                command.TrainingId, metrics.MeanAveragePrecision, step.Iteration);
            // Before the checkpoint that records it as the best: a checkpoint never names a best it does not hold.
            await store.WriteModelAsync(ArtifactKeys.BestModel(command.TrainingId), trainer.Model, metrics, cancellationToken);
            await events.MetricsImprovedAsync(
                new TrainingMetricsImproved { TrainingId = command.TrainingId, Attempt = command.Attempt, Metrics = metrics }, cancellationToken);
        }

        return new IterationEvaluation(metrics, isNewBest);
    }

    /// <summary>
    /// The best evaluation's weights become the model, with their metrics; the final weights when they are as good (on
    /// a tie they are the more trained), or when no best was kept (a checkpoint from before best models were kept).
    /// </summary>
    /// <param name="modelKey">The folder to write the model into: a staging folder that is renamed into the attempt's.</param>
    /// <param name="lastLoss">The last iteration's loss, for final weights that were not evaluated yet.</param>
    public async Task<TrainingMetrics> HandOverAsync(DetectorTrainer trainer, string modelKey, double lastLoss, CancellationToken cancellationToken)
    {
        // A training resumed from its very last checkpoint has no iteration left, but its model still needs metrics.
        var final = last is not null && last.Iteration == trainer.Iteration ? last : Evaluate(trainer, trainer.Iteration, lastLoss);
        var bestKey = ArtifactKeys.BestModel(command.TrainingId);
        var kept = store.Exists(ModelArtifacts.DescriptionKey(bestKey)) ? (await store.ReadDescriptionAsync(bestKey, cancellationToken)).Metrics : null;
        if (kept is not null && kept.MeanAveragePrecision > final.MeanAveragePrecision)
        {
            await store.CopyVerifiedModelAsync(bestKey, modelKey, cancellationToken: cancellationToken);
            return kept;
        }

        await store.WriteModelAsync(modelKey, trainer.Model, final, cancellationToken);
        return final;
    }

    private TrainingMetrics Evaluate(DetectorTrainer trainer, int iteration, double loss) =>
        trainer.Evaluate(images).ToTrainingMetrics(iteration, loss);
}

/// <summary>One iteration's evaluation, and whether it is the best so far.</summary>
internal sealed record IterationEvaluation(TrainingMetrics Metrics, bool IsNewBest);
