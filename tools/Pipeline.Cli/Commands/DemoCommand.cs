using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.Runner;
using Pipeline.Cli.StatusApi;
using Pipeline.Cli.Watching;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class DemoSettings : ScaleSettings
{
    [CommandOption("--iterations <N>")]
    [Description("Training iterations (default 600: about a minute and a half on 2 CPU cores, mAP@0.5 about 0.9).")]
    public int Iterations { get; init; } = 600;

    [CommandOption("--keep-running")]
    [Description("Leave the services it started running afterwards.")]
    public bool KeepRunning { get; init; }

    public override ValidationResult Validate() =>
        Iterations > 0 ? ValidationResult.Success() : ValidationResult.Error("--iterations must be positive.");
}

/// <summary>
/// The whole loop on this machine: generates the shapes dataset (once), starts the servers and the five services,
/// trains, registers and runs a model, and prints where the results are.
/// </summary>
public sealed class DemoCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<DemoSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var root = environment.RepositoryRoot;
        // Two Detectors unless told otherwise: the demo shows one stage scaled without the others.
        var replicas = ScaleOption.Parse(settings.Scale.Prepend("detector=2"));
        var runner = new LocalRunner(root, environment, console);
        var started = await runner.UpAsync(replicas, cancellationToken);
        try
        {
            var dataset = EnsureDataset(console, Path.Combine(root, ".artifacts", "demo-dataset"), new ShapesDatasetOptions());
            var command = new BeginTraining
            {
                TrainingId = Guid.NewGuid(), Organization = "demo", Project = "shapes",
                DatasetUri = new Uri(dataset).AbsoluteUri,
                Hyperparameters = new Hyperparameters { Iterations = settings.Iterations },
            };
            await using (var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken))
            {
                await bus.SendAsync(command, cancellationToken);
            }

            console.MarkupLineInterpolated($"began training [bold]{command.TrainingId}[/] on {dataset}");
            using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
            console.MarkupLineInterpolated(
                $"dashboard (a one-time login link): {await api.DashboardLinkAsync($"/trainings/{command.TrainingId}", cancellationToken)}");
            var training = await new TrainingWatcher(console, api).WatchAsync(command.TrainingId, justBegun: true, cancellationToken);
            TrainingWatcher.WriteSummary(console, training);
            WriteWhereTheResultsAre(training, runner.ArtifactRoot);
            return TrainingWatcher.ExitCodeOf(training);
        }
        finally
        {
            if (settings.KeepRunning)
            {
                console.MarkupLine("services left running; 'pipeline down' stops them.");
            }
            else
            {
                await runner.StopAsync(started, CancellationToken.None);
            }
        }
    }

    /// <summary>Generates the shapes dataset into the folder unless its manifest is there already; returns the manifest's path.</summary>
    public static string EnsureDataset(IAnsiConsole console, string folder, ShapesDatasetOptions options)
    {
        var manifest = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifest))
        {
            console.MarkupLineInterpolated($"generating the shapes dataset into {folder}");
            ShapesDataset.Generate(folder, options);
        }

        return manifest;
    }

    private void WriteWhereTheResultsAre(TrainingDetails training, string artifactRoot)
    {
        if (training.Model.ModelId is { } modelId)
        {
            console.MarkupLineInterpolated($"model {modelId}: {Path.Combine(artifactRoot, ArtifactKeys.RegisteredModel(modelId))}");
        }

        if (training.State == TrainingStates.Completed && training.Detection.DetectionCount > 0)
        {
            console.MarkupLineInterpolated(
                $"{training.Detection.DetectionCount} detections on {training.Dataset.DetectionImageCount} images: {Path.Combine(artifactRoot, ArtifactKeys.DetectionExport(training.Id))}");
        }
    }
}
