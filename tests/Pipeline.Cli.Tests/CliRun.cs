using Spectre.Console;

namespace Pipeline.Cli.Tests;

/// <summary>Runs the command line in-process, as a user would type it, and captures what it prints.</summary>
internal static class CliRun
{
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string>? variables, params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        var environment = new CliEnvironment(
            name => variables?.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name), Directory.GetCurrentDirectory());
        var exitCode = await PipelineApp.Create(console, environment).RunAsync(args);
        return (exitCode, output.ToString());
    }
}
