using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Pipeline.Deployment.Tests;

/// <summary>
/// What the deployment files are held to, read from the code and scripts/infra.sh: the queues each service's code names,
/// its settings, and the RabbitMQ permission infra.sh declares for its user.
/// </summary>
public static partial class ServiceCode
{
    public static readonly string Root = ComposeFile.RepositoryRoot();

    public static IEnumerable<string> CodeOf(string service) =>
        Directory.GetFiles(Folder(service), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText);

    /// <summary>The queues a service consumes: its consumer definitions' EndpointName and its saga definition's endpoint.Name.</summary>
    public static IReadOnlyList<string> QueuesNamedBy(string service)
    {
        var stageQueues = StageQueues();
        return CodeOf(service)
            .SelectMany(code => EndpointName().Matches(code))
            .Select(m => m.Groups["literal"].Success ? m.Groups["literal"].Value : stageQueues[m.Groups["stage"].Value])
            .Distinct()
            .ToList();
    }

    /// <summary>contracts' StageQueues, constant name → queue name.</summary>
    public static Dictionary<string, string> StageQueues() =>
        StageQueue().Matches(File.ReadAllText(Path.Combine(Root, "contracts", "Pipeline.Contracts", "Stages", "StageQueues.cs")))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["queue"].Value);

    /// <summary>
    /// The settings of a service's appsettings.json that are right on a developer's machine and wrong anywhere else
    /// (loopback addresses, local folders), as configuration keys (<c>RabbitMq:Host</c>): a deployment must give each.
    /// </summary>
    public static IEnumerable<string> SettingsThatPointAtThisMachine(string service) =>
        AppSettings(service)
            .Where(s => s.Value.Contains("127.0.0.1") || s.Value.Contains("localhost") || s.Value.StartsWith("/tmp/", StringComparison.Ordinal))
            // Only the Orchestrator reads the management API; the others carry the key from the shared defaults.
            .Where(s => s.Key != "RabbitMq:ManagementUrl" || service == "orchestrator")
            .Select(s => s.Key);

    /// <summary>Each service user's three RabbitMQ permissions, as scripts/infra.sh declares them.</summary>
    public static IReadOnlyDictionary<string, Permission> Permissions { get; } = ReadPermissions();

    /// <summary>A user's three RabbitMQ permissions.</summary>
    public sealed record Permission(Regex Configure, Regex Write, Regex Read)
    {
        public bool All(string name) => Configure.IsMatch(name) && Write.IsMatch(name) && Read.IsMatch(name);
        public bool Any(string name) => Configure.IsMatch(name) || Write.IsMatch(name) || Read.IsMatch(name);
    }

    /// <summary>Runs scripts/infra.sh with a verb that needs no server; its standard output, or the test fails with its error.</summary>
    public static string Infra(string verb, IReadOnlyDictionary<string, string>? environment = null) =>
        Run("bash", [Path.Combine(Root, "scripts", "infra.sh"), verb], environment);

    /// <summary>
    /// Runs a command in the repository's root to its end (killed past <paramref name="limit"/>); its standard output, or
    /// the test fails with its error and output.
    /// </summary>
    public static string Run(string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{file} is not installed ({e.Message}).");
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            var command = $"{file} {string.Join(' ', arguments)}";
            if (!process.WaitForExit(limit ?? Timeout.InfiniteTimeSpan))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new Xunit.Sdk.XunitException($"{command} ran past {limit}: {error.Result}\n{output.Result}");
            }

            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{command} exited {process.ExitCode}: {error.Result}\n{output.Result}");
            return output.Result;
        }
    }

    /// <summary>A service's appsettings.json as configuration reads it (<c>RabbitMq:Host</c>), with each value.</summary>
    public static IEnumerable<(string Key, string Value)> AppSettings(string service) =>
        ComposeFile.Settings(Directory.GetFiles(Folder(service), "appsettings.json").Single());

    private static string Folder(string service) =>
        Directory.GetDirectories(Path.Combine(Root, "services")).Single(f => Path.GetFileName(f).Equals(service, StringComparison.OrdinalIgnoreCase));

    private static Dictionary<string, Permission> ReadPermissions() =>
        Infra("permissions").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .ToDictionary(parts => parts[0], parts => new Permission(new Regex(parts[1]), new Regex(parts[2]), new Regex(parts[3])));

    // A consumer definition's EndpointName, or a saga definition's endpoint.Name.
    [GeneratedRegex("""(?:EndpointName|endpoint\.Name) = (?:"(?<literal>[^"]+)"|StageQueues\.(?<stage>\w+))""")]
    private static partial Regex EndpointName();

    [GeneratedRegex("""const string (?<name>\w+) = "(?<queue>[^"]+)";""")]
    private static partial Regex StageQueue();
}
