using Pipeline.Cli.Runner;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>What runs on this machine: the servers, each service process, and whether the Orchestrator is ready.</summary>
public sealed class StatusCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<GlobalSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        var root = environment.RepositoryRoot;
        var runner = new LocalRunner(root, environment, console);
        var (serversDown, servers) = await runner.Infra.RunAsync("status", echo: false, cancellationToken);
        console.Write(new Text(servers));

        var instances = runner.List();
        var table = new Table().AddColumns("service", "pid", "state", "log");
        foreach (var service in PipelineService.All)
        {
            var mine = instances.Where(instance => instance.Service == service).ToList();
            if (!service.Exists(root))
            {
                table.AddRow(service.Name, "", "[grey]no project yet[/]", "");
            }
            else if (mine.Count == 0)
            {
                table.AddRow(service.Name, "", "[grey]not started[/]", "");
            }

            foreach (var instance in mine)
            {
                table.AddRow(instance.Name, instance.ProcessId.ToString(),
                    instance.IsRunning ? "[green]running[/]" : "[red]exited[/]", Markup.Escape(Path.GetRelativePath(root, instance.LogFile)));
            }
        }

        console.Write(table);
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var ready = await api.IsReadyAsync(cancellationToken);
        console.MarkupLineInterpolated($"status API {api.BaseAddress}: {(ready ? "ready" : "not ready")}");
        return serversDown == 0 && ready ? ExitCodes.Ok : ExitCodes.ServerUnavailable;
    }
}
