using System.Diagnostics;

namespace Pipeline.Cli.Runner;

/// <summary>
/// What <c>scripts/infra.sh env</c> prints for a checkout (its servers and the accounts it generated), read when first
/// asked and kept once the script succeeds; before the servers' first <c>up</c> there is nothing to read, and it asks again.
/// </summary>
public sealed class InfraSettings(string repositoryRoot)
{
    private IReadOnlyDictionary<string, string>? settings;

    public string? this[string name] => (settings ??= Read())?.GetValueOrDefault(name);

    private IReadOnlyDictionary<string, string>? Read()
    {
        var script = Path.Combine(repositoryRoot, "scripts", "infra.sh");
        if (!File.Exists(script))
        {
            return null;
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repositoryRoot };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("env");
        using var process = Process.Start(start);
        if (process is null)
        {
            return null;
        }

        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? Parse(output.Result) : null;
    }

    /// <summary><c>export NAME=value</c> lines (a value perhaps in quotes) as name → value.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string output)
    {
        var variables = new Dictionary<string, string>();
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var assignment = line.StartsWith("export ", StringComparison.Ordinal) ? line["export ".Length..] : line;
            var equals = assignment.IndexOf('=');
            if (equals > 0)
            {
                variables[assignment[..equals]] = assignment[(equals + 1)..].Trim('\'', '"');
            }
        }

        return variables;
    }
}
