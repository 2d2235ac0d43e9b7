using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Bench.Orchestration.Measuring;
using Pipeline.Bench.Orchestration.Messaging;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Messaging;
using Pipeline.Orchestrator;
using Pipeline.Outbox;

namespace Pipeline.Bench.Orchestration;

/// <summary>What one run measured, for the comparison of outbox on and off.</summary>
public sealed record RunFigures(string Outbox, bool AllCompleted, double TransitionsPerSecond, double? SequentialP50, double RawRoundTripP50);

/// <summary>
/// One run: a virtual host and schema of its own, the Orchestrator with the given outbox setting (null: as its
/// settings say), the instant workers, the warm-up, the sequential and load phases, and the table of what it saw.
/// </summary>
public static class OrchestrationRun
{
    public static async Task<RunFigures> RunAsync(BenchOptions options, bool? outbox, string commandLine)
    {
        await using var infrastructure = await BenchInfrastructure.CreateAsync();
        infrastructure.KeepSchema = options.KeepSchema;

        using var metrics = new MetricsRecorder();
        var waiters = new Waiters();
        var settings = BenchHosts.OrchestratorSettings(infrastructure, options, outbox);
        var outboxLabel = settings.GetValue($"{OutboxSettings.Section}:{nameof(OutboxSettings.Enabled)}", true) ? "outbox on" : "outbox off";
        Console.WriteLine($"{outboxLabel}: RabbitMQ virtual host {infrastructure.VirtualHost}, PostgreSQL schema {infrastructure.Schema}; {Environment.ProcessorCount} cores");
        var sagaEndpoint = settings.GetSection($"{EndpointSettings.Section}:{StageQueues.Training}").Get<EndpointSettings>() ?? new EndpointSettings();
        var batchSize = Math.Max(1, settings.GetValue($"{DetectionSettings.Section}:{nameof(DetectionSettings.BatchSize)}", 16));
        using var orchestrator = BenchHosts.Orchestrator(infrastructure, settings);
        using var workers = BenchHosts.WorkersAndClient(infrastructure, options, waiters);
        using var echo = BenchHosts.Echo(infrastructure, settings);
        await BenchHosts.StartAsync(orchestrator, workers, echo);

        var bus = workers.Services.GetRequiredService<IBus>();
        var sagaQueue = await bus.GetSendEndpoint(StageSendConventions.Address(StageQueues.Training));
        var driver = new Driver(waiters);
        var trainingNumber = 0;

        Task BeginTraining(Guid id, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref trainingNumber);
            // Spread the base-model share evenly over the run, so a partial run has the same mix.
            var continues = Math.Floor(number * options.BaseModelShare) > Math.Floor((number - 1) * options.BaseModelShare);
            return sagaQueue.Send(new BeginTraining
            {
                TrainingId = id, Organization = "bench", Project = "orchestration", TrainingNumber = number,
                DatasetUri = "file:///bench/instant/manifest.json",
                BaseModelId = continues ? NewId.NextGuid() : null,
            }, cancellationToken);
        }

        Task SendPing(Guid id, CancellationToken cancellationToken) => bus.Publish(new Ping { Id = id }, cancellationToken);

        async Task<(Driver.Result Result, MetricsRecorder.Snapshot Metrics, CpuSampler.Usage Cpu)> Phase(
            string name, int count, int inFlight, Func<Guid, CancellationToken, Task> start)
        {
            Console.Write($"{name}: {count} with {inFlight} in flight ... ");
            var before = metrics.Take();
            var cpuBefore = CpuSampler.Take();
            var result = await driver.Run(count, inFlight, options.Timeout, start);
            var cpu = CpuSampler.Between(cpuBefore, CpuSampler.Take());
            // Messages still on their way to the client (the last transitions) belong to this phase.
            await Task.Delay(250);
            var used = metrics.Take().Minus(before);
            Console.WriteLine($"{result.Ended} ended in {result.ElapsedSeconds:F2} s ({string.Join(", ", result.Ends.Select(e => $"{e.Value} {e.Key}"))})");
            return (result, used, cpu);
        }

        if (options.Warmup > 0)
        {
            await Phase("warm-up trainings", options.Warmup, 1, BeginTraining);
            await Phase("warm-up pings", options.Warmup * 10, 1, SendPing);
        }

        var pingsSequential = await Phase("pings, sequential", options.Pings, 1, SendPing);
        var trainingsSequential = options.Sequential > 0 ? await Phase("trainings, sequential", options.Sequential, 1, BeginTraining) : default;
        var pingsLoad = await Phase("pings, under load", options.LoadPings, Math.Min(options.InFlight, options.LoadPings), SendPing);
        var transitionsBefore = waiters.Transitions;
        var trainingsLoad = await Phase("trainings, under load", options.Trainings, options.InFlight, BeginTraining);
        var transitionsSeen = waiters.Transitions - transitionsBefore;

        // The stored histories are the authoritative count: every transition of every training of the load run.
        IReadOnlyList<TrainingState> stored;
        await using (var session = orchestrator.Services.GetRequiredService<IDocumentStore>().QuerySession())
        {
            stored = await session.LoadManyAsync<TrainingState>(trainingsLoad.Result.Ids);
        }

        var transitions = stored.Sum(t => t.History.Count);
        var completed = stored.Count(t => t.CurrentState == "Completed");
        var continued = stored.Count(t => t.BaseModelId is not null);

        foreach (var host in new[] { workers, echo, orchestrator })
        {
            await host.StopAsync();
        }

        // What one training costs in messages, on its critical path (what the client waits for) and in total.
        var batches = (options.DetectionImages + batchSize - 1) / batchSize;
        var share = stored.Count == 0 ? options.BaseModelShare : (double)continued / stored.Count;
        var workerRoundTrips = 3 + share + (batches > 0 ? 2 : 0); // data, [base model], train, upload model, [detect (batches in parallel), upload detections]
        var oneWayHops = 2 + (2 * workerRoundTrips);              // + BeginTraining in, Completed out
        var roundTripsOnPath = oneWayHops / 2;
        var sagaMessagesPerTraining = 1 + 3 + share + (batches > 0 ? batches + 1 : 0);

        var load = trainingsLoad.Result;
        var loadMetrics = trainingsLoad.Metrics;
        bool IsSaga(string endpoint) => endpoint == StageQueues.Training || endpoint.Contains("TrainingState", StringComparison.Ordinal);
        var sagaReceived = loadMetrics.Count("messaging.masstransit.receive", IsSaga);
        var allReceived = loadMetrics.Count("messaging.masstransit.receive");
        var conflicts = (long)loadMetrics.Sum("pipeline.saga.concurrency_conflicts");
        var retries = (long)loadMetrics.Sum("messaging.masstransit.consume.retries", IsSaga);
        var sagaReceiveMs = Average(loadMetrics, "messaging.masstransit.receive.duration", IsSaga);
        var sagaMs = Average(loadMetrics, "messaging.masstransit.saga.duration", IsSaga);
        var transitionsPerSecond = transitions / load.ElapsedSeconds;
        var rawRoundTripsPerSecond = pingsLoad.Result.PerSecond;
        var rawMessagesPerSecond = 2 * rawRoundTripsPerSecond;
        var sequential = trainingsSequential.Result;

        var rows = new List<(string Name, string Value)>
        {
            ("Trainings (load run)", $"{load.Ended}/{load.Started} ended, {completed} Completed in the store, {load.Ends.GetValueOrDefault("Failed")} Failed; {continued} continued a base model"),
            ("In flight", $"{options.InFlight}"),
            ("Per training", $"{(stored.Count == 0 ? 0 : (double)transitions / stored.Count):F1} transitions, {sagaMessagesPerTraining:F1} saga messages, {batches} detection batches of {batchSize}"),
            ("Saga endpoint", $"PrefetchCount {sagaEndpoint.PrefetchCount?.ToString() ?? "default"}, ConcurrentMessageLimit {sagaEndpoint.ConcurrentMessageLimit?.ToString() ?? "default"}, partitions {Environment.ProcessorCount * 4}"),
            ("", ""),
            ("Saga transitions/s (load)", $"{transitionsPerSecond:F0}  ({transitions} stored in History, {transitionsSeen} TrainingStateChanged seen, in {load.ElapsedSeconds:F2} s)"),
            ("Trainings/s (load)", $"{load.PerSecond:F1}"),
            ("Saga messages/s (load)", $"{sagaReceived / load.ElapsedSeconds:F0}  ({sagaReceived} received)"),
            ("All messages consumed/s (load)", $"{allReceived / load.ElapsedSeconds:F0}  (saga, workers, client)"),
            ("Per training, sequential", sequential is null ? "skipped" : $"p50 {sequential.Latency.P50:F1} ms, p95 {sequential.Latency.P95:F1} ms, max {sequential.Latency.Max:F1} ms (n={sequential.Ended})"),
            ("Per training, under load", $"p50 {load.Latency.P50:F0} ms, p95 {load.Latency.P95:F0} ms, max {load.Latency.Max:F0} ms (n={load.Ended})"),
            ("", ""),
            ("Raw round trip, sequential", $"p50 {pingsSequential.Result.Latency.P50:F2} ms, p95 {pingsSequential.Result.Latency.P95:F2} ms, {pingsSequential.Result.PerSecond:F0} round trips/s (n={pingsSequential.Result.Ended})"),
            ("Raw round trip, under load", $"{rawRoundTripsPerSecond:F0} round trips/s = {rawMessagesPerSecond:F0} messages/s; p50 {pingsLoad.Result.Latency.P50:F1} ms, p95 {pingsLoad.Result.Latency.P95:F1} ms"),
            ("", ""),
            ("Critical path", $"{oneWayHops:F0} one-way messages = {roundTripsOnPath:F1} round trips (BeginTraining, {workerRoundTrips:F1} stage commands and answers, Completed)"),
            ("Seq. overhead ÷ path × raw RTT", sequential is null ? "skipped" : $"{sequential.Latency.P50 / (roundTripsOnPath * pingsSequential.Result.Latency.P50):F1}x  (p50 {sequential.Latency.P50:F1} ms vs {roundTripsOnPath:F1} × {pingsSequential.Result.Latency.P50:F2} ms)"),
            ("Seq. overhead per saga message", sequential is null ? "skipped" : $"{(sequential.Latency.P50 - (roundTripsOnPath * pingsSequential.Result.Latency.P50)) / sagaMessagesPerTraining:F2} ms beyond the raw messaging"),
            ("Transitions/s ÷ raw messages/s", $"{transitionsPerSecond / rawMessagesPerSecond:F2}"),
            ("Saga messages/s ÷ raw messages/s", $"{sagaReceived / load.ElapsedSeconds / rawMessagesPerSecond:F2}"),
            ("All messages/s ÷ raw messages/s", $"{allReceived / load.ElapsedSeconds / rawMessagesPerSecond:F2}"),
            ("", ""),
            ("Saga under load", $"{conflicts} concurrency conflicts, {retries} retries; per message {sagaMs:F1} ms in the saga (load, run, save), {sagaReceiveMs:F1} ms received to acknowledged (partition wait, outbox), averages"),
            ("Saga, sequential", sequential is null ? "skipped" : $"per message {Average(trainingsSequential.Metrics, "messaging.masstransit.saga.duration", IsSaga):F1} ms in the saga, {Average(trainingsSequential.Metrics, "messaging.masstransit.receive.duration", IsSaga):F1} ms received to acknowledged, averages"),
            ("CPU under load", Cpu(trainingsLoad.Cpu)),
            ("CPU raw pings under load", Cpu(pingsLoad.Cpu)),
            ("", ""),
            ("Aim: >= 500 transitions/s", transitionsPerSecond >= 500 ? "met" : "MISSED"),
            ("Aim: < 60 ms p50 per training, sequential", sequential is null ? "?" : sequential.Latency.P50 < 60 ? "met" : "MISSED"),
        };

        if (Environment.GetEnvironmentVariable("BENCH_DUMP_METRICS") == "1")
        {
            foreach (var (key, value) in loadMetrics.Values.OrderBy(e => e.Key))
            {
                Console.WriteLine($"  {key}: count {value.Count}, sum {value.Sum:F1}");
            }
        }

        var width = rows.Max(r => r.Name.Length) + 2;
        Console.WriteLine();
        Console.WriteLine(new string('=', 100));
        foreach (var (name, value) in rows)
        {
            Console.WriteLine(name.Length == 0 ? new string('-', 100) : $"{name.PadRight(width)}{value}");
        }

        Console.WriteLine(new string('=', 100));
        Console.WriteLine($"{commandLine}  [{outboxLabel}]");
        Console.WriteLine(options.KeepSchema ? $"Schema {infrastructure.Schema} kept." : "");
        return new RunFigures(outboxLabel, completed == load.Started, transitionsPerSecond, sequential?.Latency.P50, pingsSequential.Result.Latency.P50);
    }

    static double Average(MetricsRecorder.Snapshot snapshot, string instrument, Func<string, bool> endpoint)
    {
        var count = snapshot.Count(instrument, endpoint);
        // MassTransit's durations are in milliseconds.
        return count == 0 ? double.NaN : snapshot.Sum(instrument, endpoint) / count;
    }

    static string Cpu(CpuSampler.Usage usage) =>
        $"machine {usage.MachinePercent:F0}% of {Environment.ProcessorCount} cores; bench process {usage.ProcessCores:F2} cores, RabbitMQ {usage.BrokerCores:F2}, PostgreSQL {usage.DatabaseCores:F2}";
}
