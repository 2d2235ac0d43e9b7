using System.Diagnostics;
using Pipeline.Contracts;
using Pipeline.Vision.Training;

namespace Pipeline.Trainer.Training;

/// <summary>
/// A training's progress, logged and published as <see cref="TrainingProgressed"/> (the Orchestrator's watchdog reads it
/// as the heartbeat) at most every <paramref name="interval"/>: the mean loss since the last report and the time left at
/// the pace since this run began at <paramref name="startIteration"/>.
/// </summary>
internal sealed class ProgressReporter(TrainModel command, ITrainingEvents events, TimeSpan interval, int startIteration, ILogger logger)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan? lastReport;
    private double lossSum;
    private int lossCount;

    /// <param name="evaluated">This iteration's evaluation, if any: reported whatever the interval, since the mAP curve needs each point.</param>
    /// <param name="ending">The training's last iteration (or the one it stops at): always reported.</param>
    public async Task AfterStepAsync(TrainingStep step, TrainingMetrics? evaluated, bool ending, CancellationToken cancellationToken)
    {
        TrainerMetrics.Iterations.Add(1);
        TrainerMetrics.Images.Add(command.Hyperparameters.BatchSize);
        (lossSum, lossCount) = (lossSum + step.Loss, lossCount + 1);
        if (evaluated is null && lastReport is not null && clock.Elapsed - lastReport < interval && !ending)
        {
            return;
        }

        lastReport = clock.Elapsed;
        var done = step.Iteration - startIteration;
        var left = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (step.Iterations - step.Iteration));
        logger.LogInformation("Training {TrainingId} at iteration {Iteration} of {TotalIterations}, loss {Loss:F4}",
            command.TrainingId, step.Iteration, step.Iterations, lossSum / lossCount);
        await events.ProgressedAsync(new TrainingProgressed
        {
            TrainingId = command.TrainingId, Attempt = command.Attempt, Iteration = step.Iteration, TotalIterations = step.Iterations,
            Loss = lossSum / lossCount, ImagesPerSecond = step.ImagesPerSecond, EstimatedTimeLeft = left,
            MeanAveragePrecision = evaluated?.MeanAveragePrecision,
        }, cancellationToken);
        (lossSum, lossCount) = (0, 0);
    }
}
