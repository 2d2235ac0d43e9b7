using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>The model registry, newest first.</summary>
public sealed class ModelsCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var models = await api.ListModelsAsync(cancellationToken);
        if (models.Count == 0)
        {
            console.WriteLine("no registered models yet");
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumn(new TableColumn("model").NoWrap()).AddColumns("organization/project", "version", "mAP@0.5", "categories")
            .AddColumn(new TableColumn("training").NoWrap()).AddColumns("created", "folder");
        foreach (var model in models)
        {
            table.AddRow(
                model.Id.ToString(), Markup.Escape($"{model.Organization}/{model.Project}"), model.Version.ToString(),
                model.Metrics.MeanAveragePrecision.ToString("0.000"), Markup.Escape(string.Join(", ", model.Categories.Select(c => c.Name))),
                model.TrainingId.ToString(), model.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm"), Markup.Escape(model.ModelKey));
        }

        console.Write(table);
        return ExitCodes.Ok;
    }
}
