using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Pipeline.Contracts;
using Pipeline.Cli;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// <c>pipeline replay</c>, run as a user runs it, on a broker of this test's own that is SIGKILLed while the replay moves
/// messages back: the replay fails saying so, and once the broker is back a second replay finishes the move. Every
/// message that MassTransit put in the _error queue is in the stage's queue at the end: a duplicate at worst, never a loss.
/// </summary>
public sealed class When_the_broker_dies_during_a_replay(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Queue = "replay-outage";
    private const int Messages = 3000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private PrivateRabbitMq broker = null!;

    public async Task InitializeAsync() => broker = await PrivateRabbitMq.StartAsync();

    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task A_second_replay_after_the_restart_moves_the_rest_and_no_message_is_lost()
    {
        var sent = await FaultIntoErrorQueueAsync();

        var interrupted = StartReplay();
        await WaitForTheFirstMovedAsync(interrupted);
        await broker.KillAsync();
        var movedBeforeTheKill = await ExitAsync(interrupted);
        // One line that says what happened and what to do, not a stack trace.
        Assert.Equal(ExitCodes.ServerUnavailable, movedBeforeTheKill.ExitCode);
        Assert.Contains("the connection to RabbitMQ was lost after moving", movedBeforeTheKill.Output);
        Assert.Contains("Run the same replay again", movedBeforeTheKill.Output);

        await broker.StartAgainAsync();
        var second = await ExitAsync(StartReplay());
        Assert.True(second.ExitCode == ExitCodes.Ok, second.Output);

        var replayed = await DrainTrainingIdsAsync(Queue);
        Assert.Equal(0u, await CountAsync(Queue + "_error"));
        Assert.Empty(sent.Except(replayed));
        Assert.Empty(replayed.Except(sent));
        var duplicates = replayed.Count - replayed.Distinct().Count();
        output.WriteLine($"The interrupted replay said: {movedBeforeTheKill.Output.Trim()}");
        output.WriteLine($"{Messages} faulted; broker SIGKILLed during the first replay; after the second: " +
            $"{replayed.Distinct().Count()} distinct in {Queue}, {duplicates} duplicate(s), 0 left in {Queue}_error.");
    }

    /// <summary>Sends one TrainModel per training to a consumer that fails each: MassTransit moves every one to _error.</summary>
    private async Task<List<Guid>> FaultIntoErrorQueueAsync()
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host("127.0.0.1", (ushort)broker.Port, "/", host =>
            {
                host.Username(broker.Username);
                host.Password(broker.Password);
            });
            rabbit.ReceiveEndpoint(Queue, endpoint =>
            {
                endpoint.PublishFaults = false;
                endpoint.Consumer<FailingConsumer>();
            });
        });
        await bus.StartAsync(new CancellationTokenSource(Bound).Token);
        var trainings = Enumerable.Range(0, Messages).Select(_ => NewId.NextGuid()).ToList();
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{Queue}"));
            await Task.WhenAll(trainings.Select(trainingId => endpoint.Send(new TrainModel
            {
                TrainingId = trainingId, Attempt = 1, DatasetKey = $"trainings/{trainingId:N}/dataset", Categories = [],
                Hyperparameters = new Hyperparameters(),
            })));
            await RunningPipelineFixture.WaitUntil($"{Queue}_error holds all {Messages} faulted messages",
                async () => await CountAsync(Queue + "_error") == Messages, Bound);
        }
        finally
        {
            await bus.StopAsync(new CancellationTokenSource(Bound).Token);
        }

        return trainings;
    }

    // Polled on one channel, without a pause: the replay moves thousands of messages a second.
    private async Task WaitForTheFirstMovedAsync(Process replay)
    {
        await using var connection = await broker.ConnectionFactory("replay-outage watch").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + Bound;
        while ((await channel.QueueDeclarePassiveAsync(Queue)).MessageCount == 0)
        {
            Assert.False(replay.HasExited, "the replay exited before it moved a message");
            Assert.True(DateTime.UtcNow < deadline, $"the replay moved nothing in {Bound.TotalSeconds:0} s");
        }
    }

    private Process StartReplay()
    {
        var start = new ProcessStartInfo("dotnet", [ServiceProcess.BuiltAssemblyPath(Path.Combine("tools", "Pipeline.Cli"), "Pipeline.Cli.dll"), "replay", Queue])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ServiceProcess.RepositoryRoot,
        };
        start.Environment["PIPELINE_RABBITMQ_HOST"] = "127.0.0.1";
        start.Environment["PIPELINE_RABBITMQ_PORT"] = broker.Port.ToString();
        start.Environment["PIPELINE_RABBITMQ_USER"] = broker.Username;
        start.Environment["PIPELINE_RABBITMQ_PASSWORD"] = broker.Password;
        start.Environment["PIPELINE_RABBITMQ_VHOST"] = "/";
        start.Environment["COLUMNS"] = "200";
        return Process.Start(start)!;
    }

    private static async Task<(int ExitCode, string Output)> ExitAsync(Process process)
    {
        using (process)
        {
            var standardOutput = process.StandardOutput.ReadToEndAsync();
            var standardError = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(Bound).Token);
            return (process.ExitCode, await standardOutput + await standardError);
        }
    }

    private async Task<uint> CountAsync(string queue)
    {
        await using var connection = await broker.ConnectionFactory("replay-outage counts").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    private async Task<List<Guid>> DrainTrainingIdsAsync(string queue)
    {
        await using var connection = await broker.ConnectionFactory("replay-outage drain").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var trainings = new List<Guid>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            using var envelope = JsonDocument.Parse(message.Body);
            trainings.Add(envelope.RootElement.GetProperty("message").GetProperty("trainingId").GetGuid());
        }

        return trainings;
    }

    private sealed class FailingConsumer : IConsumer<TrainModel>
    {
        public Task Consume(ConsumeContext<TrainModel> context) => throw new IOException("the disk is full");
    }
}
