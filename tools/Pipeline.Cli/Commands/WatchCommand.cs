using Pipeline.Cli.StatusApi;
using Pipeline.Cli.Watching;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Follows a training to its end; exit code 0 when Completed, 10 when Failed, 11 when Cancelled.</summary>
public sealed class WatchCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TrainingIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainingIdSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await new TrainingWatcher(console, api).WatchAsync(await api.ResolveTrainingIdAsync(settings.Id, cancellationToken), justBegun: false, cancellationToken);
        TrainingWatcher.WriteSummary(console, training);
        return TrainingWatcher.ExitCodeOf(training);
    }
}
