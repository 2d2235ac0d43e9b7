using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>The model registry, newest first: each project's current model marked, and why each was promoted or not.</summary>
public sealed class ModelsCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<ProjectReadSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ProjectReadSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var models = await api.ListModelsAsync(settings.ProjectFilter, cancellationToken);
        if (settings.Json)
        {
            return JsonOutput.Write(console, models);
        }

        if (models.Count == 0)
        {
            console.WriteLine(settings.Of.Length == 0 ? "no registered models yet" : $"no registered models{settings.Of}");
            return ExitCodes.Ok;
        }

        // The folder is models/{id}: left out for the current marker and the promotion, which a user reads more often.
        var table = new Table().AddColumn(new TableColumn("model").NoWrap()).AddColumns("organization/project", "version", "current", "mAP@0.5", "promotion", "categories")
            .AddColumn(new TableColumn("training").NoWrap()).AddColumns("created");
        foreach (var model in models)
        {
            table.AddRow(
                model.Id.ToString(), Markup.Escape($"{model.Organization}/{model.Project}"), model.Version.ToString(), model.IsCurrent ? "*" : "",
                model.Metrics.MeanAveragePrecision.ToString("0.000"), Promotion(model.Promotion),
                Markup.Escape(string.Join(", ", model.Categories.Select(c => c.Name))),
                model.TrainingId.ToString(), model.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm"));
        }

        console.Write(table);
        // The reasons are sentences: one line each under the table, where they do not wrap inside a narrow cell.
        foreach (var model in models.Where(model => model.Promotion is not null))
        {
            // An override's reason already says who promoted it ("promoted by a user, whatever the metrics: ...").
            var decision = model.Promotion!;
            console.WriteLine($"{model.Organization}/{model.Project} version {model.Version}: " +
                (decision.Overridden ? decision.Reason : $"{Promotion(decision)}, {decision.Reason}"));
        }

        return ExitCodes.Ok;
    }

    private static string Promotion(PromotionDecision? promotion) => promotion switch
    {
        null => "not decided",
        { Overridden: true } => "promoted by a user",
        { Promoted: true } => "promoted",
        _ => "not promoted",
    };
}
