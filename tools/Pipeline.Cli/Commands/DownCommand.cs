using System.ComponentModel;
using Pipeline.Cli.Runner;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class DownSettings : GlobalSettings
{
    [CommandOption("--keep-servers")]
    [Description("Stop the services only; leave RabbitMQ and PostgreSQL running.")]
    public bool KeepServers { get; init; }
}

/// <summary>Stops every service 'pipeline up' started, then the servers (scripts/infra.sh down).</summary>
public sealed class DownCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<DownSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DownSettings settings, CancellationToken cancellationToken)
    {
        var runner = new LocalRunner(environment.RepositoryRoot, environment, console);
        await runner.StopAsync(null, cancellationToken);
        if (settings.KeepServers)
        {
            return ExitCodes.Ok;
        }

        var (exitCode, _) = await runner.Infra.RunAsync("down", echo: true, cancellationToken);
        return exitCode == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }
}
