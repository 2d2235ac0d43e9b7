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
    private static readonly IReadOnlyDictionary<string, Permission> Permissions = ReadPermissions();

    public static TheoryData<string> Services => new(Permissions.Keys);

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_may_use_every_queue_its_code_names_and_their_error_queues(string service)
    {
        var queues = QueuesNamedBy(service);

        Assert.All(queues.SelectMany(queue => new[] { queue, $"{queue}_error", $"{queue}_skipped" }),
            name => Assert.True(Permissions[service].All(name), $"{service}'s user may not use {name}."));
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

        Assert.All(others, name => Assert.False(Permissions[service].Any(name), $"{service}'s user may use {name}."));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_may_bind_every_message_its_code_consumes_and_publish_its_fault(string service)
    {
        var consumed = MessagesConsumedBy(service);

        Assert.NotEmpty(consumed);
        Assert.All(consumed, exchange => Assert.True(Permissions[service].Read.IsMatch(exchange), $"{service}'s user may not bind {exchange}."));
        Assert.All(consumed.Where(exchange => !exchange.StartsWith("MassTransit:Fault", StringComparison.Ordinal)),
            exchange => Assert.True(Permissions[service].Write.IsMatch($"MassTransit:Fault--{exchange}--"), $"{service}'s user may not publish the fault of {exchange}."));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void A_worker_may_publish_none_of_the_messages_that_steer_a_training(string service)
    {
        if (service == "orchestrator")
        {
            return;
        }

        // The Orchestrator's events (what it publishes durably) and the user's commands to the saga (mapped to its queue).
        var steering = CodeOf("orchestrator").SelectMany(code => PublishedDurably().Matches(code))
            .Concat(SagaCommand().Matches(File.ReadAllText(Path.Combine(Root, "libs", "Pipeline.Messaging", "StageSendConventions.cs"))))
            .Select(m => $"Pipeline.Contracts:{m.Groups["message"].Value}")
            .Distinct()
            .ToList();

        Assert.Contains("Pipeline.Contracts:CancelTraining", steering);
        Assert.Contains("Pipeline.Contracts:TrainingReadyForCleanup", steering);
        Assert.All(steering, message => Assert.False(Permissions[service].Write.IsMatch(message), $"{service}'s user may publish {message}."));
    }

    /// <summary>The message exchanges a service's consumers and saga bind: IConsumer&lt;X&gt;, Event&lt;X&gt; and Event&lt;Fault&lt;X&gt;&gt;.</summary>
    private static IReadOnlyList<string> MessagesConsumedBy(string service) =>
        CodeOf(service)
            .SelectMany(code => ConsumedMessage().Matches(code))
            .Select(m => m.Groups["fault"].Success
                ? $"MassTransit:Fault--Pipeline.Contracts:{m.Groups["message"].Value}--"
                : $"Pipeline.Contracts:{m.Groups["message"].Value}")
            .Distinct()
            .ToList();

    private static IEnumerable<string> CodeOf(string service)
    {
        var folder = Directory.GetDirectories(Path.Combine(Root, "services")).Single(f => Path.GetFileName(f).Equals(service, StringComparison.OrdinalIgnoreCase));
        return Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText);
    }

    private static IReadOnlyList<string> QueuesNamedBy(string service)
    {
        var stageQueues = StageQueues();
        return CodeOf(service)
            .SelectMany(code => EndpointName().Matches(code))
            .Select(m => m.Groups["literal"].Success ? m.Groups["literal"].Value : stageQueues[m.Groups["stage"].Value])
            .Distinct()
            .ToList();
    }

    /// <summary>contracts' StageQueues, constant name → queue name.</summary>
    private static Dictionary<string, string> StageQueues() =>
        StageQueue().Matches(File.ReadAllText(Path.Combine(Root, "contracts", "Pipeline.Contracts", "Stages", "StageQueues.cs")))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["queue"].Value);

    /// <summary>A user's three RabbitMQ permissions, as scripts/infra.sh declares them.</summary>
    private sealed record Permission(Regex Configure, Regex Write, Regex Read)
    {
        public bool All(string name) => Configure.IsMatch(name) && Write.IsMatch(name) && Read.IsMatch(name);
        public bool Any(string name) => Configure.IsMatch(name) || Write.IsMatch(name) || Read.IsMatch(name);
    }

    private static Dictionary<string, Permission> ReadPermissions()
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
            .ToDictionary(parts => parts[0], parts => new Permission(new Regex(parts[1]), new Regex(parts[2]), new Regex(parts[3])));
    }

    // A consumer definition's EndpointName, or a saga definition's endpoint.Name.
    [GeneratedRegex("""(?:EndpointName|endpoint\.Name) = (?:"(?<literal>[^"]+)"|StageQueues\.(?<stage>\w+))""")]
    private static partial Regex EndpointName();

    [GeneratedRegex("""const string (?<name>\w+) = "(?<queue>[^"]+)";""")]
    private static partial Regex StageQueue();

    [GeneratedRegex("""(?:IConsumer|Event)<(?<fault>Fault<)?(?<message>[A-Z]\w+)>""")]
    private static partial Regex ConsumedMessage();

    [GeneratedRegex("""PublishDurably\(new (?<message>[A-Z]\w+)""")]
    private static partial Regex PublishedDurably();

    [GeneratedRegex("""MapTo<(?<message>[A-Z]\w+)>\(StageQueues\.Training\)""")]
    private static partial Regex SagaCommand();
}
