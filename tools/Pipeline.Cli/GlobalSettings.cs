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

/// <summary>--json, on every command that reads (a settings class has one base, so those that also take an id declare it again).</summary>
public static class JsonOption
{
    public const string Template = "--json";
    public const string Description = "Print JSON (the status API's own names and values) instead of tables, for scripts and jq.";
}

/// <summary>Commands that read: tables for people, or with --json what the status API answered, for scripts.</summary>
public class ReadSettings : GlobalSettings
{
    [CommandOption(JsonOption.Template)]
    [Description(JsonOption.Description)]
    public bool Json { get; init; }
}

/// <summary>Read commands over many trainings or models: one organization's, or one project's, where asked (as 'begin' names them).</summary>
public class ProjectReadSettings : ReadSettings
{
    [CommandOption("--org <ORGANIZATION>")]
    [Description("Only this organization's.")]
    public string? Organization { get; init; }

    [CommandOption("--project <PROJECT>")]
    [Description("Only this project's (in any organization, unless --org says which).")]
    public string? Project { get; init; }

    public (string? Organization, string? Project) ProjectFilter => (Organization, Project);

    /// <summary>What the filter keeps, for a list that came back empty: " of acme/shapes", " of project shapes", or "" for all.</summary>
    public string Of => (Organization, Project) switch
    {
        (null, null) => "",
        (null, var project) => $" of project {project}",
        (var organization, null) => $" of organization {organization}",
        var (organization, project) => $" of {organization}/{project}",
    };
}

/// <summary>Commands about one training.</summary>
public class TrainingIdSettings : GlobalSettings
{
    [CommandArgument(0, "<id>")]
    [Description("The training id as 'pipeline begin' printed it, or its first characters (at least 4) where they name one training.")]
    public string Id { get; init; } = "";
}

/// <summary>Reading one training, as tables or JSON.</summary>
public sealed class TrainingReadSettings : TrainingIdSettings
{
    [CommandOption(JsonOption.Template)]
    [Description(JsonOption.Description)]
    public bool Json { get; init; }
}

/// <summary>Commands that end a training, with why.</summary>
public sealed class TrainingReasonSettings : TrainingIdSettings
{
    [CommandOption("--reason <TEXT>")]
    [Description("Recorded with the training.")]
    public string? Reason { get; init; }
}
