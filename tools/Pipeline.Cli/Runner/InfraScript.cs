using System.Diagnostics;
using Pipeline.Cli.Infrastructure;
using Spectre.Console;

namespace Pipeline.Cli.Runner;

/// <summary>scripts/infra.sh: starts and stops RabbitMQ and PostgreSQL on this machine, and prints their settings.</summary>
public sealed class InfraScript(string repositoryRoot, IAnsiConsole console)
{
    private string Script => Path.Combine(repositoryRoot, "scripts", "infra.sh");

    /// <summary>The settings the script prints (<c>export NAME=value</c> lines), as name → value.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadEnvironmentAsync(CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync("env", echo: false, cancellationToken);
        if (exitCode != 0)
        {
            throw new CliException($"'scripts/infra.sh env' failed: {output.Trim()}");
        }

        return InfraSettings.Parse(output);
    }

    /// <summary>
    /// Runs <c>up</c> when a server does not answer, or when this checkout has no accounts on them yet (servers another
    /// checkout started: <c>up</c> finds that checkout's credentials, or says how to name it); returns whether it had to.
    /// </summary>
    public async Task<bool> EnsureUpAsync(CliEnvironment environment, CancellationToken cancellationToken)
    {
        if (await ServersAnswerAsync(environment, cancellationToken) && (await RunAsync("env", echo: false, cancellationToken)).ExitCode == 0)
        {
            return false;
        }

        console.MarkupLine("[grey]RabbitMQ or PostgreSQL does not answer, or this checkout has no accounts on them: running scripts/infra.sh up[/]");
        var (exitCode, output) = await RunAsync("up", echo: true, cancellationToken);
        if (exitCode != 0 || !await ServersAnswerAsync(environment, cancellationToken))
        {
            throw new CliException($"'scripts/infra.sh up' could not start the servers (exit {exitCode}):\n{Tail(output, 15)}", ExitCodes.ServerUnavailable);
        }

        return true;
    }

    public static async Task<bool> ServersAnswerAsync(CliEnvironment environment, CancellationToken cancellationToken)
    {
        var rabbit = environment.RabbitMq;
        var (host, port) = environment.PostgresEndpoint;
        return await ServerProbe.AnswersAsync(rabbit.Host, rabbit.Port, TimeSpan.FromSeconds(2), cancellationToken)
            && await ServerProbe.AnswersAsync(host, port, TimeSpan.FromSeconds(2), cancellationToken);
    }

    public async Task<(int ExitCode, string Output)> RunAsync(string verb, bool echo, CancellationToken cancellationToken)
    {
        if (!File.Exists(Script))
        {
            throw new CliException($"{Script} does not exist.", ExitCodes.Usage);
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repositoryRoot };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(verb);
        using var process = Process.Start(start) ?? throw new CliException("cannot start bash");
        var output = new System.Text.StringBuilder();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (echo)
            {
                console.MarkupLineInterpolated($"[grey]{e.Data}[/]");
            }
        }

        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, output.ToString());
    }

    public static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}
