using Pipeline.Contracts;
using Pipeline.Datasets;
using System.Globalization;

namespace Pipeline.Cli.Watching;

public enum StageStatus { Pending, Running, Done, Failed, Cancelled, Skipped }

public sealed record StageLine(string Name, string State, StageStatus Status, string Detail, TimeSpan? Duration);

/// <summary>The learning loop's stages (each a running state and the state that ends it), described from a training's status.</summary>
public static class StageLines
{
    public static IReadOnlyList<StageLine> Describe(TrainingDetails training, DateTimeOffset now)
    {
        var lines = new List<StageLine>();
        foreach (var (name, running, done) in TrainingStages.All.Select(stage => (stage.Name, stage.Running, stage.Done)))
        {
            if (running == TrainingStates.TrainModelDownloading && training.Training.BaseModelId is null)
            {
                continue; // trains from scratch: there is no base model to fetch
            }

            var status = StatusOf(training, running, done);
            lines.Add(new StageLine(name, running, status, Detail(training, running, status), Duration(training, running, now)));
        }

        return lines;
    }

    private static StageStatus StatusOf(TrainingDetails training, string running, string done)
    {
        if (training.State == running)
        {
            return StageStatus.Running;
        }

        if (training.State == TrainingStates.Failed && training.FailedStage == running)
        {
            return StageStatus.Failed;
        }

        var last = training.History.LastOrDefault(step => step.From == running || step.To == running);
        if (training.State == TrainingStates.Cancelled && last is { From: var from, To: TrainingStates.Cancelled } && from == running)
        {
            return StageStatus.Cancelled;
        }

        if (training.History.Any(step => step.To == done))
        {
            return StageStatus.Done;
        }

        return training.State == TrainingStates.Completed ? StageStatus.Skipped : StageStatus.Pending;
    }

    private static string Detail(TrainingDetails training, string running, StageStatus status)
    {
        if (status == StageStatus.Failed)
        {
            return training.Errors.GetValueOrDefault(running) ?? "failed";
        }

        var c = CultureInfo.InvariantCulture;
        switch (running)
        {
            case TrainingStates.DataDownloading when status == StageStatus.Done:
                var dataset = training.Dataset;
                var reasons = dataset.SkippedImagesByReason.Describe();
                var skipped = dataset.SkippedImageCount > 0 ? $", {dataset.SkippedImageCount} skipped{(reasons.Length > 0 ? $" ({reasons})" : "")}" : "";
                var heldOut = dataset.HeldOutImageCount > 0 ? " (test held out from train)" : "";
                var inbox = dataset.InboxImageCount > 0 || dataset.InboxSkippedCount > 0
                    ? $" ({dataset.InboxImageCount} from the inbox{(dataset.InboxSkippedCount > 0 ? $", {dataset.InboxSkippedCount} inbox items skipped" : "")})"
                    : "";
                return $"{dataset.TrainImageCount} train{inbox} / {dataset.TestImageCount} test images{heldOut}, {dataset.Categories.Count} categories{skipped}";
            case TrainingStates.TrainingRunning when status is StageStatus.Running or StageStatus.Done or StageStatus.Cancelled:
                var parts = new List<string>();
                if (training.Training.Progress is { } progress)
                {
                    parts.Add(string.Create(c, $"iteration {progress.Iteration}/{progress.TotalIterations}, loss {progress.Loss:0.0000}"));
                }

                if (training.Training.BestMetrics is { } metrics)
                {
                    parts.Add(string.Create(c, $"mAP {metrics.MeanAveragePrecision:0.000}"));
                }

                if (status == StageStatus.Running && training.Training.Progress?.EstimatedTimeLeft is { } left)
                {
                    parts.Add($"{Format(left)} left");
                }

                return string.Join(", ", parts);
            case TrainingStates.TrainModelUploading when status == StageStatus.Done && training.Model.ModelId is { } modelId:
                return $"model {modelId} (version {training.Model.Version})";
            case TrainingStates.Detecting when status is StageStatus.Running or StageStatus.Done or StageStatus.Cancelled:
                return $"batches {training.Detection.BatchesDetected}/{training.Detection.BatchCount}, {training.Detection.DetectionCount} detections";
            case TrainingStates.DetectionUploading when status == StageStatus.Done:
                return $"{training.Detection.DetectionCount} detections exported";
            default:
                return "";
        }
    }

    /// <summary>From the last time the stage started to when it left, or to now while it runs.</summary>
    private static TimeSpan? Duration(TrainingDetails training, string running, DateTimeOffset now)
    {
        var history = training.History.ToList();
        var start = history.FindLastIndex(step => step.To == running);
        if (start < 0)
        {
            return null;
        }

        var end = history.FindIndex(start + 1, step => step.From == running);
        return (end < 0 ? (training.State == running ? now : training.UpdatedAt) : history[end].At) - history[start].At;
    }

    public static string Format(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s" : $"{span.TotalSeconds:0.0}s".Replace(',', '.');
}
