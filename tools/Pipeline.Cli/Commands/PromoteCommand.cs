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
    [Description("The model id as 'pipeline models' lists it, or its first characters (at least 4) where they name one model.")]
    public string Model { get; init; } = "";

    [CommandOption("--reason <TEXT>")]
    [Description("Recorded as the promotion's reason.")]
    public string? Reason { get; init; }
}

/// <summary>
/// Sends PromoteModel to the Uploader, which owns the registry: the model becomes its project's current one whatever the
/// metrics. The model is looked up first, so an unknown id is an error here rather than a message in promote-model_error.
/// </summary>
public sealed class PromoteCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<PromoteSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PromoteSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var model = await api.ResolveModelAsync(settings.Model, cancellationToken);

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(new PromoteModel { ModelId = model.Id, Reason = settings.Reason ?? "promoted with 'pipeline promote'" }, cancellationToken);
        console.MarkupLineInterpolated(
            $"promotion sent: version {model.Version} of {model.Organization}/{model.Project} becomes its current model ('pipeline models' shows it)");
        return ExitCodes.Ok;
    }
}
