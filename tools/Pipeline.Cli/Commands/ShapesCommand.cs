using System.ComponentModel;
using Pipeline.Datasets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class ShapesSettings : CommandSettings
{
    [CommandArgument(0, "<folder>")]
    [Description("Where to write manifest.json and its images (kept where a manifest is there already).")]
    public string Folder { get; init; } = "";
}

/// <summary>Writes the demo's generated shapes dataset into a folder and prints its manifest's path, for 'pipeline begin'.</summary>
public sealed class ShapesCommand(IAnsiConsole console, CliEnvironment environment) : Command<ShapesSettings>
{
    public override int Execute(CommandContext context, ShapesSettings settings, CancellationToken cancellationToken)
    {
        var manifest = DemoCommand.EnsureDataset(console, Path.GetFullPath(settings.Folder, environment.WorkingDirectory), new ShapesDatasetOptions());
        console.WriteLine(manifest);
        return ExitCodes.Ok;
    }
}
