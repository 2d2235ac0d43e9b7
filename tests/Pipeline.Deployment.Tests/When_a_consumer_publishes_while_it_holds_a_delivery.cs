namespace Pipeline.Deployment.Tests;

/// <summary>
/// Every publish a consumer makes while it holds a delivery passes a cancellation token, which MassTransit cancels when the
/// delivery's channel closes. Without one the publish waits for the next connection, and RabbitMQ.Client tells a lost
/// connection's channels one after another, each after its deliveries end: after a broker restart, one such publish left
/// every queue of the process told after it on the dead connection, up and reading nothing (issue 18).
/// </summary>
public sealed class When_a_consumer_publishes_while_it_holds_a_delivery
{
    private static readonly string Root = ComposeFile.RepositoryRoot();

    private static readonly IReadOnlyList<string> ConsumerFiles = [.. Directory
        .EnumerateFiles(Path.Combine(Root, "services"), "*Consumer.cs", SearchOption.AllDirectories)
        .Append(Path.Combine(Root, "tests", "Pipeline.Integration.Tests", "EndToEnd", "InstantStageConsumers.cs"))
        .Where(file => !file.Contains("/bin/", StringComparison.Ordinal) && !file.Contains("/obj/", StringComparison.Ordinal))
        .Select(file => Path.GetRelativePath(Root, file))];

    public static TheoryData<string> Consumers => new(ConsumerFiles);

    [Fact]
    public void The_workers_consumers_are_found()
    {
        Assert.Contains(Path.Combine("services", "Trainer", "Consumers", "TrainModelConsumer.cs"), ConsumerFiles);
        Assert.NotEmpty(ConsumerFiles.SelectMany(file => PublishCalls(File.ReadAllText(Path.Combine(Root, file)))));
    }

    [Theory]
    [MemberData(nameof(Consumers))]
    public void Every_publish_in_a_consumer_ends_with_its_delivery(string consumer)
    {
        Assert.All(PublishCalls(File.ReadAllText(Path.Combine(Root, consumer))),
            call => Assert.True(call.Contains("ancellationToken", StringComparison.Ordinal), $"{consumer}: {call} passes no cancellation token."));
    }

    /// <summary>Each <c>context.Publish(...)</c> of the source, its arguments whole.</summary>
    private static IEnumerable<string> PublishCalls(string source)
    {
        const string call = "context.Publish(";
        for (var start = source.IndexOf(call, StringComparison.Ordinal); start >= 0; start = source.IndexOf(call, start + 1, StringComparison.Ordinal))
        {
            var end = start + call.Length;
            for (var depth = 1; depth > 0; end++)
            {
                depth += source[end] switch { '(' => 1, ')' => -1, _ => 0 };
            }

            yield return source[start..end];
        }
    }
}
