using Pipeline.Contracts;
using Pipeline.Cli.StatusApi;
using Pipeline.Cli.Watching;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>One training in full: stages, history with each state's duration, errors, metrics and confusion matrix, model, detections.</summary>
public sealed class ShowCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TrainingReadSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainingReadSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await api.GetTrainingAsync(await api.ResolveTrainingIdAsync(settings.Id, cancellationToken), cancellationToken);
        if (settings.Json)
        {
            return JsonOutput.Write(console, training);
        }

        Write(console, training);
        return ExitCodes.Ok;
    }

    public static void Write(IAnsiConsole console, TrainingDetails training)
    {
        console.MarkupLineInterpolated($"[bold]training {training.Id}[/]  {training.Organization}/{training.Project}  state [bold]{training.State}[/]  attempt {training.Attempt}");
        console.MarkupLineInterpolated($"dataset {training.Dataset.Uri}: {training.Dataset.TrainImageCount} train / {training.Dataset.TestImageCount} test images, categories {string.Join(", ", training.Dataset.Categories.Select(c => c.Name))}");

        var stages = new Table().Title("stages").AddColumns("stage", "status", "time", "detail");
        foreach (var line in StageLines.Describe(training, DateTimeOffset.UtcNow))
        {
            stages.AddRow(line.Name, line.Status.ToString(), line.Duration is { } d ? StageLines.Format(d) : "", Markup.Escape(line.Detail));
        }

        console.Write(stages);

        var history = new Table().Title("history").AddColumns("at", "from", "to", "attempt", "time in state", "error");
        for (var i = 0; i < training.History.Count; i++)
        {
            var step = training.History[i];
            var until = i + 1 < training.History.Count ? training.History[i + 1].At : training.IsFinished() ? (DateTimeOffset?)null : DateTimeOffset.UtcNow;
            history.AddRow(
                step.At.ToLocalTime().ToString("HH:mm:ss.f"), step.From, step.To, step.Attempt.ToString(),
                until is { } end ? StageLines.Format(end - step.At) : "", Markup.Escape(step.Error ?? ""));
        }

        console.Write(history);

        if (training.Errors.Count > 0)
        {
            var errors = new Table().Title("errors per stage").AddColumns("stage", "error");
            foreach (var (stage, error) in training.Errors)
            {
                errors.AddRow(Markup.Escape(stage), Markup.Escape(error));
            }

            console.Write(errors);
        }

        if (training.Training.BestMetrics is { } metrics)
        {
            console.MarkupLineInterpolated($"best metrics: iteration {metrics.Iteration}, loss {metrics.Loss:0.0000}, mAP@0.5 {metrics.MeanAveragePrecision:0.000}");
            var perCategory = new Table().Title("per category (IoU 0.5)").AddColumns("category", "tp", "fp", "fn", "AP");
            foreach (var category in metrics.Categories)
            {
                perCategory.AddRow(Markup.Escape(category.CategoryName), category.TruePositives.ToString(), category.FalsePositives.ToString(),
                    category.FalseNegatives.ToString(), category.AveragePrecision.ToString("0.000"));
            }

            console.Write(perCategory);
            if (metrics.Confusion is { Labels.Count: > 0 } confusion)
            {
                // A line of its own: a title wider than this narrow table would be wrapped.
                console.MarkupLineInterpolated($"confusion matrix (IoU {confusion.IouThreshold:0.##}, confidence {confusion.ConfidenceThreshold:0.##}), rows the true class:");
                console.Write(ConfusionTable(confusion, metrics.Categories));
            }
        }

        if (training.Training.Progress is { } progress)
        {
            console.MarkupLineInterpolated($"last progress: iteration {progress.Iteration}/{progress.TotalIterations}, loss {progress.Loss:0.0000}, {progress.ImagesPerSecond:0.0} images/s");
        }

        console.MarkupLineInterpolated($"model: {(training.Model.ModelId is { } id ? $"{id} version {training.Model.Version} at {training.Model.ModelKey}" : "none yet")}");
        var export = training.Detection.ExportKey is { } key ? $", export {key}" : "";
        console.MarkupLineInterpolated($"detections: {training.Detection.DetectionCount} ({training.Detection.BatchesDetected}/{training.Detection.BatchCount} batches, scope {training.Detection.DetectOn}){export}");
        if (training.Detection.ExportedMeanAveragePrecision is { } exported)
        {
            // Beside the evaluation's figure: what an evaluator finds in the full export, against the evaluated images' ground truth.
            var evaluated = training.Training.BestMetrics is { } best ? $"evaluation {best.MeanAveragePrecision:0.000}, " : "";
            console.MarkupLineInterpolated($"mAP@0.5: {evaluated}of the export {exported:0.000} ({training.Detection.FullExportKey} against {training.Detection.GroundTruthKey})");
        }
    }

    /// <summary>Rows the true class, columns the predicted one, background last; category names where the metrics have them.</summary>
    private static Table ConfusionTable(ConfusionMatrix confusion, IReadOnlyList<CategoryMetrics> categories)
    {
        var names = categories.ToDictionary(c => c.CategoryId, c => c.CategoryName);
        string Name(string label) => Markup.Escape(names.GetValueOrDefault(label, label));
        var table = new Table().AddColumn("true \\ predicted");
        foreach (var label in confusion.Labels)
        {
            table.AddColumn(new TableColumn(Name(label)).RightAligned());
        }

        for (var t = 0; t < confusion.Labels.Count; t++)
        {
            table.AddRow([Name(confusion.Labels[t]), .. confusion.Counts[t].Select(count => count.ToString())]);
        }

        return table;
    }
}
