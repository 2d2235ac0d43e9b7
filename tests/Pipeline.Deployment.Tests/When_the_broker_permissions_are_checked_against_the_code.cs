using System.Text.RegularExpressions;
using static Pipeline.Deployment.Tests.ServiceCode;

namespace Pipeline.Deployment.Tests;

/// <summary>
/// The queues each service's code names (its consumer and saga definitions' endpoint names) against the RabbitMQ permission
/// scripts/infra.sh gives its user: a queue renamed in code without its declaration would be refused by the broker.
/// </summary>
public sealed partial class When_the_broker_permissions_are_checked_against_the_code
{
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

    [GeneratedRegex("""(?:IConsumer|Event)<(?<fault>Fault<)?(?<message>[A-Z]\w+)>""")]
    private static partial Regex ConsumedMessage();

    [GeneratedRegex("""PublishDurably\(new (?<message>[A-Z]\w+)""")]
    private static partial Regex PublishedDurably();

    [GeneratedRegex("""MapTo<(?<message>[A-Z]\w+)>\(StageQueues\.Training\)""")]
    private static partial Regex SagaCommand();
}
