using System.ComponentModel;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class OutboxRetrySettings : GlobalSettings
{
    [CommandArgument(0, "[message-id]")]
    [Description("The parked message, as 'pipeline queues' lists it.")]
    public string? MessageId { get; init; }

    [CommandOption("--service <SERVICE>")]
    [Description("Every parked message of this service's outbox instead of one.")]
    public string? Service { get; init; }

    public override ValidationResult Validate() => (MessageId, Service) switch
    {
        (null, null) => ValidationResult.Error("Name a parked message id ('pipeline queues' lists them) or --service <service>."),
        (not null, not null) => ValidationResult.Error("A message id or --service, not both."),
        ({ } id, _) when !Guid.TryParse(id, out _) => ValidationResult.Error($"'{id}' is not a message id (a GUID, as 'pipeline queues' lists it)."),
        _ => ValidationResult.Success(),
    };
}

/// <summary>
/// Un-parks outbox messages over the status API: they go back in line for their service's relay, with the same message
/// ids (a consumer that already had one ignores the copy). Parked messages wait for a fix first: one put back unchanged
/// is parked again.
/// </summary>
public sealed class OutboxRetryCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<OutboxRetrySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, OutboxRetrySettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var count = await api.UnparkAsync(settings.MessageId is { } id ? Guid.Parse(id) : null, settings.Service, cancellationToken);
        console.WriteLine(count == 1 ? "1 parked message put back for its relay" : $"{count} parked messages put back for their relay");
        return ExitCodes.Ok;
    }
}
