using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Pipeline.Deployment.Tests;

/// <summary>
/// The queues each service's code names (its consumer and saga definitions' endpoint names) against the RabbitMQ permission
/// scripts/infra.sh gives its user: a queue renamed in code without its declaration would be refused by the broker.
/// </summary>
public sealed partial class ServiceQueuePermissionsTests
{
    private static readonly string Root = ComposeFile.RepositoryRoot();
    private static readonly IReadOnlyDictionary<string, Regex> Permissions = ReadPermissions();

    public static TheoryData<string> Services => new(Permissions.Keys);

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_may_use_every_queue_its_code_names_and_their_error_queues(string service)
    {
        var queues = QueuesNamedBy(service);

        Assert.All(queues.SelectMany(queue => new[] { queue, $"{queue}_error", $"{queue}_skipped" }),
            name => Assert.True(Permissions[service].IsMatch(name), $"{service}'s user may not use {name}."));
    }

    [Fact]
    public void Every_stage_queue_is_found_in_the_code_of_a_service_with_an_account()
    {
        // Guards the reading itself: a queue these tests cannot find would be checked against nothing.
        var found = Permissions.Keys.SelectMany(QueuesNamedBy).ToHashSet();

        Assert.Equal([], StageQueues().Values.Where(queue => !found.Contains(queue)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void A_worker_may_not_touch_another_service_s_queues(string service)
    {
        if (service == "orchestrator")
        {
            return; // It sends every stage its command, so it declares their queues.
        }

        var others = Permissions.Keys.Where(other => other != service).SelectMany(QueuesNamedBy);

        Assert.All(others, name => Assert.False(Permissions[service].IsMatch(name), $"{service}'s user may use {name}."));
    }

    private static IReadOnlyList<string> QueuesNamedBy(string service)
    {
        var folder = Directory.GetDirectories(Path.Combine(Root, "services")).Single(f => Path.GetFileName(f).Equals(service, StringComparison.OrdinalIgnoreCase));
        var stageQueues = StageQueues();
        return Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(file => EndpointName().Matches(File.ReadAllText(file)))
            .Select(m => m.Groups["literal"].Success ? m.Groups["literal"].Value : stageQueues[m.Groups["stage"].Value])
            .Distinct()
            .ToList();
    }

    /// <summary>contracts' StageQueues, constant name → queue name.</summary>
    private static Dictionary<string, string> StageQueues() =>
        StageQueue().Matches(File.ReadAllText(Path.Combine(Root, "contracts", "Pipeline.Contracts", "Stages", "StageQueues.cs")))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["queue"].Value);

    private static Dictionary<string, Regex> ReadPermissions()
    {
        using var script = Process.Start(new ProcessStartInfo("bash", [Path.Combine(Root, "scripts", "infra.sh"), "permissions"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root,
        })!;
        var output = script.StandardOutput.ReadToEnd();
        script.WaitForExit();
        Assert.True(script.ExitCode == 0, $"scripts/infra.sh permissions: {script.StandardError.ReadToEnd()}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .ToDictionary(parts => parts[0], parts => new Regex(parts[1]));
    }

    // A consumer definition's EndpointName, or a saga definition's endpoint.Name.
    [GeneratedRegex("""(?:EndpointName|endpoint\.Name) = (?:"(?<literal>[^"]+)"|StageQueues\.(?<stage>\w+))""")]
    private static partial Regex EndpointName();

    [GeneratedRegex("""const string (?<name>\w+) = "(?<queue>[^"]+)";""")]
    private static partial Regex StageQueue();
}
