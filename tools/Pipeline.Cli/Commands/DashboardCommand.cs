using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// The dashboard's address with a one-time login: the browser that opens it first gets a session of the token's role,
/// so the token itself never goes into a browser, a URL or a shell's history.
/// </summary>
public sealed class DashboardCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        console.WriteLine((await api.DashboardLinkAsync(null, cancellationToken)).ToString());
        return ExitCodes.Ok;
    }
}
