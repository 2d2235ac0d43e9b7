using Pipeline.Cli;
using Spectre.Console;

// Ctrl-C stops what the command waits for (watching, replaying); the training itself goes on.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};

// Redirected output (logs, scripts) is not bound by a terminal's width: keep ids and tables on one line.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Console.Profile.Width = 240;
}

var app = PipelineApp.Create(AnsiConsole.Console, CliEnvironment.FromProcess());
return await app.RunAsync(args, interrupted.Token);
