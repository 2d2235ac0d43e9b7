using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class PromoteSettings : GlobalSettings
{
    [CommandArgument(0, "<model>")]
    [Description("The model id, as 'pipeline models' lists it.")]
    public string Model { get; init; } = "";

    [CommandOption("--reason <TEXT>")]
    [Description("Recorded as the promotion's reason.")]
    public string? Reason { get; init; }

    public override ValidationResult Validate() => Guid.TryParse(Model, out _)
        ? ValidationResult.Success()
        : ValidationResult.Error($"'{Model}' is not a model id (a GUID, as 'pipeline models' lists them).");
}

/// <summary>
/// Sends PromoteModel to the Uploader, which owns the registry: the model becomes its project's current one whatever the
/// metrics. The model is looked up first, so an unknown id is an error here rather than a message in promote-model_error.
/// </summary>
public sealed class PromoteCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<PromoteSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PromoteSettings settings, CancellationToken cancellationToken)
    {
        var modelId = Guid.Parse(settings.Model);
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var model = (await api.ListModelsAsync(cancellationToken)).FirstOrDefault(m => m.Id == modelId)
            ?? throw new CliException($"no registered model has id {modelId}: 'pipeline models' lists them.");

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(new PromoteModel { ModelId = model.Id, Reason = settings.Reason ?? "promoted with 'pipeline promote'" }, cancellationToken);
        console.MarkupLineInterpolated(
            $"promotion sent: version {model.Version} of {model.Organization}/{model.Project} becomes its current model ('pipeline models' shows it)");
        return ExitCodes.Ok;
    }
}
