using Pipeline.Contracts;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pipeline.Cli.Watching;

/// <summary>
/// Follows one training until it is Completed, Failed or Cancelled, reading it again when the Orchestrator's live stream
/// says it changed (about twice a second while the stream is down): one live line per stage on a terminal, a line per
/// change when the output is redirected.
/// </summary>
public sealed class TrainingWatcher(IAnsiConsole console, StatusApiClient api)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a just-begun training may stay unknown to the Orchestrator before the watch gives up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<TrainingDetails> WatchAsync(Guid id, bool justBegun, CancellationToken cancellationToken)
    {
        var training = await WaitUntilKnownAsync(id, justBegun, cancellationToken);
        await using var changes = new TrainingChanges(api, id, PollInterval);
        if (console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi)
        {
            await console.Live(Render(training)).AutoClear(false).StartAsync(async live =>
            {
                while (!training.IsFinished())
                {
                    await changes.WaitAsync(cancellationToken);
                    training = await api.GetTrainingAsync(id, cancellationToken);
                    live.UpdateTarget(Render(training));
                }
            });
        }
        else
        {
            var printed = new Dictionary<string, (StageStatus Status, string Detail, DateTimeOffset At)>();
            Print(training, printed);
            while (!training.IsFinished())
            {
                await changes.WaitAsync(cancellationToken);
                training = await api.GetTrainingAsync(id, cancellationToken);
                Print(training, printed);
            }
        }

        return training;
    }

    public static int ExitCodeOf(TrainingDetails training) => training.State switch
    {
        TrainingStates.Completed => ExitCodes.Ok,
        TrainingStates.Cancelled => ExitCodes.TrainingCancelled,
        _ => ExitCodes.TrainingFailed,
    };

    /// <summary>The closing lines: how the training ended, what it produced, and where it failed.</summary>
    public static void WriteSummary(IAnsiConsole console, TrainingDetails training)
    {
        var total = StageLines.Format(training.UpdatedAt - training.CreatedAt);
        var color = training.State switch { TrainingStates.Completed => "green", TrainingStates.Cancelled => "yellow", _ => "red" };
        console.MarkupLine($"[{color}]Training {training.Id} {training.State}[/] after {total} (attempt {training.Attempt}).");
        if (training.Training.BestMetrics is { } metrics)
        {
            console.MarkupLineInterpolated($"  mAP@0.5 {metrics.MeanAveragePrecision:0.000} at iteration {metrics.Iteration}, loss {metrics.Loss:0.0000}");
        }

        if (training.Model.ModelId is { } modelId)
        {
            console.MarkupLineInterpolated($"  model {modelId} version {training.Model.Version} at {training.Model.ModelKey}");
        }

        if (training.Detection.BatchCount > 0 || training.Detection.ExportKey is not null)
        {
            var export = training.Detection.ExportKey is { } key ? $", exported to {key}" : "";
            console.MarkupLineInterpolated($"  {training.Detection.DetectionCount} detections{export}");
        }

        if (training.State == TrainingStates.Failed)
        {
            var stage = training.FailedStage ?? "?";
            console.MarkupLineInterpolated($"  [red]failed in {stage}[/]: {training.Errors.GetValueOrDefault(stage) ?? "no reason recorded"}");
            console.MarkupLineInterpolated($"  'pipeline retry {training.Id}' sends the stage again.");
        }
    }

    private async Task<TrainingDetails> WaitUntilKnownAsync(Guid id, bool justBegun, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (true)
        {
            if (await api.FindTrainingAsync(id, cancellationToken) is { } training)
            {
                return training;
            }

            if (!justBegun)
            {
                throw CliException.NoTraining(id);
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new CliException(
                    $"the Orchestrator has not picked up training {id} within {StartTimeout.TotalSeconds:0}s. Is it running? " +
                    "'pipeline status' shows the services; 'pipeline queues' shows whether training-state has a consumer.", ExitCodes.ServerUnavailable);
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static IRenderable Render(TrainingDetails training)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"training {training.Id} — {training.State}")
            .AddColumn("stage").AddColumn("").AddColumn("progress").AddColumn(new TableColumn("time").RightAligned());
        foreach (var line in StageLines.Describe(training, DateTimeOffset.UtcNow))
        {
            table.AddRow(
                new Text(line.Name),
                new Markup(Symbol(line.Status)),
                ProgressCell(training, line),
                new Text(line.Duration is { } duration ? StageLines.Format(duration) : ""));
        }

        return table;
    }

    private static IRenderable ProgressCell(TrainingDetails training, StageLine line)
    {
        double? fraction = line.State switch
        {
            TrainingStates.TrainingRunning when training.Training.Progress is { TotalIterations: > 0 } progress => (double)progress.Iteration / progress.TotalIterations,
            "Detecting" when training.Detection.BatchCount > 0 => (double)training.Detection.BatchesDetected / training.Detection.BatchCount,
            _ => null,
        };
        if (fraction is null || line.Status != StageStatus.Running)
        {
            return new Text(line.Detail);
        }

        var width = 20;
        var filled = (int)Math.Round(Math.Clamp(fraction.Value, 0, 1) * width);
        return new Markup($"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] {Markup.Escape(line.Detail)}");
    }

    private static string Symbol(StageStatus status) => status switch
    {
        StageStatus.Done => "[green]✔[/]",
        StageStatus.Running => "[blue]▶[/]",
        StageStatus.Failed => "[red]✘[/]",
        StageStatus.Cancelled => "[yellow]■[/]",
        StageStatus.Skipped => "[grey]–[/]",
        _ => "[grey]·[/]",
    };

    // Redirected output: a line when a stage changes status, and a running stage's progress at most every 5 s.
    private void Print(TrainingDetails training, Dictionary<string, (StageStatus Status, string Detail, DateTimeOffset At)> printed)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var line in StageLines.Describe(training, now))
        {
            var changed = !printed.TryGetValue(line.Name, out var before) || before.Status != line.Status;
            var progressed = !changed && line.Status == StageStatus.Running && before.Detail != line.Detail && now - before.At > TimeSpan.FromSeconds(5);
            if (line.Status == StageStatus.Pending && !printed.ContainsKey(line.Name) || !changed && !progressed)
            {
                continue;
            }

            printed[line.Name] = (line.Status, line.Detail, now);
            var time = line.Duration is { } duration ? $" ({StageLines.Format(duration)})" : "";
            console.WriteLine($"{line.Name}: {line.Status.ToString().ToLowerInvariant()}{(line.Detail.Length > 0 ? " — " + line.Detail : "")}{time}");
        }
    }
}
