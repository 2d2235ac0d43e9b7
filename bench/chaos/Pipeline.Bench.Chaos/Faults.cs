using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Integration.Tests;
using Pipeline.Integration.Tests.Outages;
using Pipeline.Messaging;

namespace Pipeline.Bench.Chaos;

/// <summary>One injected fault: what it did, when it ended, how long until the next transition showed work going on.</summary>
public sealed record FaultRecord(string Name, DateTime Started, DateTime Ended)
{
    public TimeSpan Length => Ended - Started;
    public TimeSpan? Recovery { get; set; }
    public string? Note { get; set; }
}

/// <summary>The services as processes, each instance to be stopped, paused, killed and started again by name.</summary>
public sealed partial class ServiceSet(Dictionary<string, string> environment, string logs) : IAsyncDisposable
{
    /// <summary>Instance → project: one of each service, two Trainers and two Detectors, as a user scales them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Instances = new Dictionary<string, string>
    {
        ["orchestrator"] = "Orchestrator", ["downloader"] = "Downloader", ["uploader"] = "Uploader",
        ["trainer-a"] = "Trainer", ["trainer-b"] = "Trainer", ["detector-a"] = "Detector", ["detector-b"] = "Detector",
    };

    private readonly Dictionary<string, ServiceProcess> running = [];
    private readonly List<ServiceProcess> all = [];
    private int generation;

    public IReadOnlyList<string> Exited => [.. running.Where(r => r.Value.HasExited).Select(r => r.Key)];

    /// <summary>
    /// "instance queue" for each queue a running instance logged as stopped consuming and not as consuming since
    /// (ReceiveEndpointWatch's lines): a service that outlived a broker fault without recovering, as issue 18's item 4 saw.
    /// </summary>
    public IReadOnlyList<string> NotConsumingAgain =>
        [.. running.Where(r => !r.Value.HasExited).SelectMany(r => StoppedQueues(r.Value.Output).Select(queue => $"{r.Key} {queue}"))];

    /// <summary>
    /// How many running instances have consumed <paramref name="queue"/>: each logs "queue: consuming" once its consumer is
    /// on the broker, whatever it logged after. The broker's own count can then tell a queue lost without a line.
    /// </summary>
    public int ConsumersOf(string queue) => running.Values.Count(r => !r.HasExited && r.Output.Contains($" {queue}: consuming", StringComparison.Ordinal));

    private static IEnumerable<string> StoppedQueues(string log)
    {
        var stopped = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match line in ConsumingLine().Matches(log))
        {
            if (line.Groups["stopped"].Success)
            {
                stopped.Add(line.Groups["queue"].Value);
            }
            else
            {
                stopped.Remove(line.Groups["queue"].Value);
            }
        }

        return stopped;
    }

    [GeneratedRegex(@"(?<queue>\S+): (?<stopped>stopped )?consuming")]
    private static partial Regex ConsumingLine();

    public void Start(string name)
    {
        var process = ServiceProcess.Start(Instances[name], $"{name}-{++generation}", environment, logs);
        running[name] = process;
        all.Add(process);
    }

    public void Kill(string name) => running[name].Kill();

    public Task<bool> StopAsync(string name, TimeSpan grace) => running[name].StopAsync(grace);

    public void Pause(string name) => running[name].Pause();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in all)
        {
            await process.DisposeAsync();
        }
    }
}

/// <summary>The faults of one run, in an order the seed decides.</summary>
public sealed class FaultSchedule(
    ServiceSet services, PrivatePostgres postgres, PrivateRabbitMq broker, TrainingWatch watch, ChaosOptions options,
    Func<int, Task> begin, Func<string, Task<int?>> consumers, Dictionary<string, string> ownerEnvironment, string logs)
{
    private static readonly TimeSpan Restart = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StageBound = TimeSpan.FromSeconds(90);

    /// <summary>Outbox:ClaimLease's default: a broker frozen longer than it lets a row's claim lapse while its send hangs.</summary>
    private static readonly TimeSpan ClaimLease = TimeSpan.FromSeconds(30);

    /// <summary>The stage queues each worker consumes: a SIGTERM lands while one of their stages runs.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> WorkerQueues = new Dictionary<string, string[]>
    {
        ["downloader"] = [StageQueues.DownloadTrainingData, StageQueues.DownloadBaseModel],
        ["trainer-a"] = [StageQueues.TrainModel],
        ["detector-a"] = [StageQueues.DetectImages],
        ["uploader"] = [StageQueues.UploadModel, StageQueues.UploadDetections],
    };

    public int GracefulStops { get; private set; }
    public int Stops { get; private set; }
    public Guid? UndeliverableRow { get; private set; }
    public string? ApplySchema { get; private set; }

    public IReadOnlyList<(string Name, Func<Task<string?>> Inject)> Faults()
    {
        var faults = new List<(string, Func<Task<string?>>)>();
        foreach (var name in (string[])["orchestrator", "downloader", "uploader"])
        {
            faults.Add(($"SIGKILL {name}, started again after {Restart.TotalSeconds:0} s", () => KillAndRestart(name, Restart)));
        }

        foreach (var worker in WorkerQueues.Keys)
        {
            faults.Add(($"SIGTERM {worker} 3 times during its stage (grace {options.Grace.TotalSeconds:0} s)", () => StopDuringStage(worker, 3)));
        }

        var hang = options.StageTimeout + TimeSpan.FromSeconds(10);
        faults.Add(($"SIGSTOP trainer-a {hang.TotalSeconds:0} s (past the stage timeout) beside trainer-b, then SIGKILL", () => HangTrainer(hang)));
        var orchestratorDown = options.StageTimeout + TimeSpan.FromSeconds(10);
        faults.Add(($"orchestrator down {orchestratorDown.TotalSeconds:0} s (past the stage timeout)", () => KillAndRestart("orchestrator", orchestratorDown)));
        faults.Add(($"PostgreSQL stopped {options.PostgresOutage.TotalSeconds:0} s", async () =>
        {
            await postgres.StopAsync();
            await Task.Delay(options.PostgresOutage);
            await postgres.StartAgainAsync();
            return null;
        }));
        faults.Add(("SIGKILL the PostgreSQL postmaster, started again", async () =>
        {
            await postgres.KillAsync();
            await Task.Delay(Restart);
            await postgres.StartAgainAsync();
            return null;
        }));
        faults.Add(($"SIGKILL the RabbitMQ node, down {options.BrokerOutage.TotalSeconds:0} s", async () =>
        {
            await broker.KillAsync();
            await Task.Delay(options.BrokerOutage);
            await broker.StartAgainAsync();
            return null;
        }));
        var frozen = ClaimLease + TimeSpan.FromSeconds(5);
        faults.Add(($"SIGSTOP the RabbitMQ node {frozen.TotalSeconds:0} s (past the outbox's claim) during a burst of 6 begins", async () =>
        {
            await begin(6);
            await broker.PauseAsync();
            await Task.Delay(frozen);
            await broker.ResumeAsync();
            return null;
        }));
        faults.Add(("an undeliverable row in the Orchestrator's outbox", InsertUndeliverableRow));
        faults.Add(("apply-schema (as 'pipeline up' runs it) while the relays work", RunApplySchema));

        var random = new Random(options.Seed);
        return [.. faults.OrderBy(_ => random.Next())];
    }

    private async Task<string?> KillAndRestart(string name, TimeSpan down)
    {
        services.Kill(name);
        await Task.Delay(down);
        services.Start(name);
        return null;
    }

    private async Task<string?> StopDuringStage(string worker, int times)
    {
        var states = TrainingStages.All.Where(stage => WorkerQueues[worker].Contains(stage.Queue)).Select(stage => stage.Running).ToHashSet();
        var queue = WorkerQueues[worker][0];
        var notes = new List<string>();
        for (var stop = 0; stop < times; stop++)
        {
            // New work for it (a download is over in a moment), then the stop once a training is in its stage.
            await begin(2);
            var inStage = await watch.WaitUntilAsync(trainings => trainings.Any(t => states.Contains(t.CurrentState)), StageBound);
            var attached = await consumers(queue);
            Stops++;
            var started = Stopwatch.StartNew();
            if (await services.StopAsync(worker, options.Grace))
            {
                GracefulStops++;
            }

            notes.Add($"{(inStage ? "" : "no training in its stage, ")}exited in {started.Elapsed.TotalSeconds:0.0} s");
            services.Start(worker);
            // The next stop is of the new process at work, not of one still starting.
            var deadline = DateTime.UtcNow + StageBound;
            while (await consumers(queue) < attached && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        return string.Join("; ", notes);
    }

    private async Task<string?> HangTrainer(TimeSpan hang)
    {
        // Both Trainers busy, so the one frozen holds a training and the other can take its attempt 2.
        var busy = await watch.WaitUntilAsync(trainings => trainings.Count(t => t.CurrentState == TrainingStates.TrainingRunning) >= 2, StageBound);
        services.Pause("trainer-a");
        await Task.Delay(hang);
        services.Kill("trainer-a");
        services.Start("trainer-a");
        return busy ? null : "fewer than two trainings were training when it froze";
    }

    // A row the relay can never send as it is (a contract type gone after an upgrade): it must be parked, and the rows after it leave.
    private async Task<string?> InsertUndeliverableRow()
    {
        var id = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "insert into pipeline.outbox_messages (message_id, destination, message_type, body, owner) values ($1, $2, $3, '{}'::jsonb, 'orchestrator')", connection)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = StageSendConventions.Address(StageQueues.DownloadTrainingData).ToString() },
                new() { Value = "Pipeline.Contracts.DownloadTrainingDataV0, Pipeline.Contracts" },
            },
        };
        await insert.ExecuteNonQueryAsync();
        UndeliverableRow = id;
        return $"message {id}";
    }

    private async Task<string?> RunApplySchema()
    {
        var started = Stopwatch.StartNew();
        try
        {
            foreach (var project in (string[])["Orchestrator", "Uploader"])
            {
                await ServiceProcess.RunVerbAsync(project, ServiceVerbs.ApplySchema, ownerEnvironment, logs, TimeSpan.FromSeconds(60));
            }

            ApplySchema = $"succeeded in {started.Elapsed.TotalSeconds:0.0} s";
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            ApplySchema = $"FAILED after {started.Elapsed.TotalSeconds:0.0} s: {exception.Message.Split('\n')[0]}";
        }

        return ApplySchema;
    }
}
