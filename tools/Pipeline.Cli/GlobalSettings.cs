using System.ComponentModel;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>Options every command takes.</summary>
public class GlobalSettings : CommandSettings
{
    [CommandOption("--api <URL>")]
    [Description("The Orchestrator's status API (default: $PIPELINE_API, else http://127.0.0.1:5080).")]
    public string? Api { get; init; }
}

/// <summary>Commands about one training.</summary>
public class TrainingIdSettings : GlobalSettings
{
    [CommandArgument(0, "<id>")]
    [Description("The training id, as 'pipeline begin' printed it.")]
    public string Id { get; init; } = "";

    public Guid TrainingId => Guid.TryParse(Id, out var id)
        ? id
        : throw new CliException($"'{Id}' is not a training id (a GUID, as 'pipeline begin' prints it).", ExitCodes.Usage);
}

/// <summary>Commands that end a training, with why.</summary>
public sealed class TrainingReasonSettings : TrainingIdSettings
{
    [CommandOption("--reason <TEXT>")]
    [Description("Recorded with the training.")]
    public string? Reason { get; init; }
}
