using System.ComponentModel;
using Pipeline.Cli.Runner;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public class ScaleSettings : GlobalSettings
{
    [CommandOption("--scale <SERVICE=N>")]
    [Description("Copies of a service to run, e.g. --scale detector=3 (repeatable); one of each otherwise.")]
    public string[] Scale { get; init; } = [];
}

/// <summary>Starts the servers and every service on this machine (what is not running yet), and prints the dashboard's login link.</summary>
public sealed class UpCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<ScaleSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ScaleSettings settings, CancellationToken cancellationToken)
    {
        var replicas = ScaleOption.Parse(settings.Scale);
        var runner = new LocalRunner(environment.RepositoryRoot, environment, console);
        var started = await runner.UpAsync(replicas, cancellationToken);
        console.MarkupLineInterpolated($"{started.Count} started; {runner.List().Count(instance => instance.IsRunning)} running. Logs in {runner.LogFolder}; 'pipeline down' stops them.");
        if (replicas.GetValueOrDefault("orchestrator", 1) > 0)
        {
            using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
            console.MarkupLineInterpolated($"dashboard (a one-time login link; 'pipeline dashboard' prints another): {await api.DashboardLinkAsync(null, cancellationToken)}");
        }
        return ExitCodes.Ok;
    }
}
