using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Cli.Watching;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class BeginSettings : GlobalSettings
{
    [CommandArgument(0, "<dataset>")]
    [Description("A dataset path (manifest.json, COCO JSON, a folder holding one, or a .zip/.tar.gz) or an http(s) URL.")]
    public string Dataset { get; init; } = "";

    [CommandOption("--test-dataset <DATASET>")]
    [Description("A second dataset, as <dataset> is given, that is the test split (a COCO val set, say); every image of <dataset> then trains.")]
    public string? TestDataset { get; init; }

    [CommandOption("--images <FOLDER>")]
    [Description("The folder inside <dataset> its image paths are relative to (train2017, say), where the layout does not say it.")]
    public string? Images { get; init; }

    [CommandOption("--iterations <N>")] public int? Iterations { get; init; }
    [CommandOption("--batch-size <N>")] public int? BatchSize { get; init; }
    [CommandOption("--learning-rate <X>")] public double? LearningRate { get; init; }
    [CommandOption("--resolution <N>")] public int? Resolution { get; init; }
    [CommandOption("--flip-rl")] [Description("Flip images left-right while training (the default).")] public bool FlipRl { get; init; }
    [CommandOption("--no-flip-rl")] [Description("Do not flip images left-right.")] public bool NoFlipRl { get; init; }
    [CommandOption("--flip-ud")] [Description("Flip images upside-down while training.")] public bool FlipUd { get; init; }
    [CommandOption("--base-model <ID>")] [Description("A registered model to continue from: its id, or its first characters.")] public string? BaseModel { get; init; }
    [CommandOption("--format <FORMAT>")] [Description("manifest (default), coco, yolo, pascal-voc or label-studio.")] public string Format { get; init; } = "manifest";
    [CommandOption("--org <ORGANIZATION>")] public string Organization { get; init; } = "local";
    [CommandOption("--project <PROJECT>")] public string Project { get; init; } = "default";
    [CommandOption("--detect <SCOPE>")] [Description("all (default), test, train or none: the images the trained model runs over.")] public string Detect { get; init; } = "all";
    [CommandOption("--include-inbox")] [Description("Add the project's inbox (uncertain images detector nodes sent back, with their detections) to the train split.")] public bool IncludeInbox { get; init; }
    [CommandOption("--watch")] [Description("Follow the training to its end, as 'pipeline watch'.")] public bool Watch { get; init; }

    /// <summary>The format a --format value names (its enum name, any case, dashes allowed: pascal-voc); null when none.</summary>
    public static DatasetFormat? DatasetFormatOf(string format) =>
        Enum.GetValues<DatasetFormat>().Cast<DatasetFormat?>()
            .FirstOrDefault(value => string.Equals(value.ToString(), format.Replace("-", ""), StringComparison.OrdinalIgnoreCase));

    public override ValidationResult Validate()
    {
        if (Iterations <= 0 || BatchSize <= 0 || Resolution <= 0 || LearningRate <= 0)
        {
            return ValidationResult.Error("--iterations, --batch-size, --resolution and --learning-rate must be positive.");
        }

        if (FlipRl && NoFlipRl)
        {
            return ValidationResult.Error("--flip-rl and --no-flip-rl contradict each other.");
        }

        if (DatasetFormatOf(Format) is null)
        {
            return ValidationResult.Error($"--format '{Format}': use manifest, coco, yolo, pascal-voc or label-studio.");
        }

        if (Detect is not ("all" or "test" or "train" or "none"))
        {
            return ValidationResult.Error($"--detect '{Detect}': use all, test, train or none.");
        }

        return ValidationResult.Success();
    }
}

/// <summary>Sends BeginTraining for a new training and prints its id; with --watch follows it to its end.</summary>
public sealed class BeginCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<BeginSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BeginSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        // A whole id needs no status API; the first characters of one are looked up there.
        var baseModelId = settings.BaseModel is null ? (Guid?)null
            : Guid.TryParse(settings.BaseModel, out var whole) ? whole : (await api.ResolveModelAsync(settings.BaseModel, cancellationToken)).Id;
        var command = ToCommand(settings, Guid.NewGuid(), baseModelId, environment.WorkingDirectory, environment.DatasetsMount);
        await using (var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken))
        {
            await bus.SendAsync(command, cancellationToken);
        }

        console.WriteLine(command.TrainingId.ToString());
        if (!settings.Watch)
        {
            return ExitCodes.Ok;
        }

        var training = await new TrainingWatcher(console, api).WatchAsync(command.TrainingId, justBegun: true, cancellationToken);
        TrainingWatcher.WriteSummary(console, training);
        return TrainingWatcher.ExitCodeOf(training);
    }

    /// <summary>The message the options describe; the dataset must exist when it is a path.</summary>
    public static BeginTraining ToCommand(BeginSettings settings, Guid trainingId, Guid? baseModelId, string workingDirectory, DatasetsMount? mount = null)
    {
        var defaults = new Hyperparameters();
        return new BeginTraining
        {
            TrainingId = trainingId,
            Organization = settings.Organization,
            Project = settings.Project,
            DatasetUri = DatasetUri(settings.Dataset, workingDirectory, mount),
            DatasetFormat = BeginSettings.DatasetFormatOf(settings.Format) ?? DatasetFormat.Manifest,
            TestDatasetUri = settings.TestDataset is null ? null : DatasetUri(settings.TestDataset, workingDirectory, mount),
            ImagesFolder = settings.Images,
            Hyperparameters = new Hyperparameters
            {
                Iterations = settings.Iterations ?? defaults.Iterations,
                BatchSize = settings.BatchSize ?? defaults.BatchSize,
                LearningRate = settings.LearningRate ?? defaults.LearningRate,
                Resolution = settings.Resolution ?? defaults.Resolution,
                FlipRl = settings.FlipRl || (!settings.NoFlipRl && defaults.FlipRl),
                FlipUd = settings.FlipUd || defaults.FlipUd,
            },
            BaseModelId = baseModelId,
            DetectOn = settings.Detect switch
            {
                "test" => DetectionScope.TestImages,
                "train" => DetectionScope.TrainImages,
                "none" => DetectionScope.None,
                _ => DetectionScope.AllImages,
            },
            IncludeInbox = settings.IncludeInbox,
        };
    }

    /// <summary>
    /// An http(s) URL as it is; a path (or file:// URI) as an absolute file:// URI, which must exist: where the services
    /// see the path at another place (<paramref name="mount"/>), the URI they read it at.
    /// </summary>
    public static string DatasetUri(string dataset, string workingDirectory, DatasetsMount? mount = null)
    {
        if (string.IsNullOrWhiteSpace(dataset))
        {
            throw new CliException("give the dataset: a path or an http(s) URL.", ExitCodes.Usage);
        }

        if (Uri.TryCreate(dataset, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri.AbsoluteUri;
        }

        var path = uri is { IsFile: true } && dataset.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? uri.LocalPath
            : Path.GetFullPath(dataset, workingDirectory);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new CliException($"dataset '{path}' does not exist.", ExitCodes.Usage);
        }

        if (mount is null)
        {
            return new Uri(path).AbsoluteUri;
        }

        return mount.UriOf(path) ?? throw new CliException(
            $"dataset '{path}' is outside {mount.Folder}, the only folder the services read ({mount.Uri}); move it there.", ExitCodes.Usage);
    }
}
