using Pipeline.Contracts;
using System.ComponentModel;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class ListSettings : ProjectReadSettings
{
    [CommandOption("--state <STATE>")]
    [Description("Only trainings in this state (e.g. TrainingRunning, Failed, Completed).")]
    public string? State { get; init; }

    public override ValidationResult Validate() =>
        State is not null && !TrainingStates.All.Contains(State)
            ? ValidationResult.Error($"--state '{State}' is not a state; one of: {string.Join(", ", TrainingStates.All)}.")
            : base.Validate();
}

/// <summary>The trainings the Orchestrator knows, latest first.</summary>
public sealed class ListCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<ListSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ListSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var trainings = await api.ListTrainingsAsync(settings.State, settings.ProjectFilter, cancellationToken);
        if (settings.Json)
        {
            return JsonOutput.Write(console, trainings);
        }

        if (trainings.Count == 0)
        {
            console.WriteLine(settings.State is null && settings.Of.Length == 0
                ? "no trainings yet"
                : $"no trainings{(settings.State is null ? "" : $" in state {settings.State}")}{settings.Of}");
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumn(new TableColumn("id").NoWrap()).AddColumns("organization/project", "state", "attempt", "updated");
        foreach (var training in trainings)
        {
            table.AddRow(
                training.Id.ToString(), Markup.Escape($"{training.Organization}/{training.Project}"), training.State,
                training.Attempt.ToString(), training.Updated.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
        }

        console.Write(table);
        return ExitCodes.Ok;
    }
}
