using Microsoft.Extensions.DependencyInjection;
using Pipeline.Cli.Commands;
using Pipeline.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>The <c>pipeline</c> command line: every command, and how errors become one line and an exit code.</summary>
public static class PipelineApp
{
    public static CommandApp Create(IAnsiConsole console, CliEnvironment environment)
    {
        var services = new ServiceCollection().AddSingleton(console).AddSingleton(environment);
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("pipeline");
            config.ConfigureConsole(console);
            config.CancellationExitCode(ExitCodes.Interrupted);
            config.AddCommand<BeginCommand>("begin").WithDescription("Begin a training on a dataset; prints its id.")
                .WithExample("begin", ".artifacts/demo-dataset/manifest.json", "--iterations", "300", "--watch");
            config.AddCommand<WatchCommand>("watch").WithDescription("Follow a training to its end (exit 0 Completed, 10 Failed, 11 Cancelled).");
            config.AddCommand<ListCommand>("list").WithDescription("List trainings, latest first.");
            config.AddCommand<ShowCommand>("show").WithDescription("Show a training: history, errors, metrics, confusion matrix, model, detections.");
            config.AddCommand<ModelsCommand>("models").WithDescription("List registered models: which is each project's current one, and why.");
            config.AddCommand<PromoteCommand>("promote").WithDescription("Make a model its project's current one, whatever the metrics.");
            config.AddCommand<StopCommand>("stop").WithDescription("End a running training early; it keeps its best model and completes.");
            config.AddCommand<CancelCommand>("cancel").WithDescription("Cancel a training: discard it, in any state.");
            config.AddCommand<RetryCommand>("retry").WithDescription("Send a failed training's stage again.");
            config.AddCommand<ReplayCommand>("replay").WithDescription("Move messages from <queue>_error back to <queue>.");
            config.AddCommand<QueuesCommand>("queues").WithDescription("Messages and consumers per stage queue; each service's outbox and its parked messages.");
            config.AddBranch("outbox", outbox =>
            {
                outbox.SetDescription("A service's outbox: messages committed with its state, waiting for its relay.");
                outbox.AddCommand<OutboxRetryCommand>("retry").WithDescription("Put parked outbox messages back for their relay, once their cause is fixed.")
                    .WithExample("outbox", "retry", "3f2c0000-9684-92ea-08ff-08df53f57aa4").WithExample("outbox", "retry", "--service", "uploader");
            });
            config.AddCommand<DashboardCommand>("dashboard").WithDescription("Print the dashboard's address with a one-time login for your token's role.");
            config.AddCommand<ShapesCommand>("shapes").WithDescription("Write the demo's generated shapes dataset into a folder.")
                .WithExample("shapes", "datasets/shapes");
            config.AddCommand<DemoCommand>("demo").WithDescription("Run the whole loop on a generated dataset on this machine.");
            config.AddCommand<UpCommand>("up").WithDescription("Start the servers and the services on this machine.");
            config.AddCommand<DownCommand>("down").WithDescription("Stop the services and the servers.");
            config.AddCommand<StatusCommand>("status").WithDescription("What runs on this machine.");
            config.SetExceptionHandler((exception, _) => Report(console, exception));
        });
        return app;
    }

    /// <summary>A user's mistake or a missing server is one line; only a bug shows its stack trace.</summary>
    private static int Report(IAnsiConsole console, Exception exception)
    {
        switch (exception)
        {
            case CliException cli:
                console.MarkupLineInterpolated($"[red]error:[/] {cli.Message}");
                return cli.ExitCode;
            case CommandAppException app:
                console.MarkupLineInterpolated($"[red]error:[/] {app.Message}");
                return ExitCodes.Usage;
            case OperationCanceledException:
                console.MarkupLine("[yellow]interrupted[/]");
                return ExitCodes.Interrupted;
            default:
                console.WriteException(exception, ExceptionFormats.ShortenEverything);
                return ExitCodes.Error;
        }
    }
}
