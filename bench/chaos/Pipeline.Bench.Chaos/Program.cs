using System.Text;
using System.Text.Json;
using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pipeline.Bench.Chaos;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Hosting;
using Pipeline.Integration.Tests;
using Pipeline.Integration.Tests.Outages;
using Pipeline.Orchestrator.Persistence;
using Pipeline.Registry;
using Pipeline.Storage;
using Serilog;

var options = ChaosOptions.Parse(args);
await using var broker = await PrivateRabbitMq.StartAsync();
await using var postgres = await PrivatePostgres.StartAsync();
var work = Directory.CreateTempSubdirectory("pipeline-chaos-").FullName;
var artifacts = Path.Combine(work, "artifacts");
var logs = Path.Combine(work, "logs");

var settings = new Dictionary<string, string?>
{
    ["RabbitMq:Host"] = "127.0.0.1", ["RabbitMq:Port"] = broker.Port.ToString(), ["RabbitMq:Username"] = broker.Username,
    ["RabbitMq:Password"] = broker.Password, ["RabbitMq:VirtualHost"] = "/",
    ["ConnectionStrings:Postgres"] = postgres.ConnectionString, ["Marten:AutoCreate"] = "CreateOrUpdate",
    ["Artifacts:Root"] = artifacts,
    // The dataset is written under the run's work folder; the Downloader reads file:// only under named roots.
    ["Downloader:AllowedRoots:0"] = work,
    ["Watchdog:Interval"] = "00:00:01",
    // Small real models on the CPU: the bench is about what survives, not about how well they detect.
    ["Trainer:Device"] = "cpu", ["Trainer:ModelWidth"] = "8", ["Trainer:EvaluateEvery"] = "10", ["Trainer:CheckpointEvery"] = "10",
    ["Trainer:ProgressInterval"] = "00:00:01", ["Detector:Device"] = "cpu", ["Detector:Threads"] = "1", ["Detection:BatchSize"] = "2",
};
foreach (var stage in TrainingStages.All)
{
    settings[$"Stages:{stage.Running}:Timeout"] = options.StageTimeout.ToString();
}

var environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
// The owner applies the schema first, as 'pipeline up' does, so the services and the bench's reads find the tables.
foreach (var project in (string[])["Orchestrator", "Uploader"])
{
    await ServiceProcess.RunVerbAsync(project, ServiceVerbs.ApplySchema, environment, logs, TimeSpan.FromSeconds(120));
}

await using var services = new ServiceSet(new Dictionary<string, string>(environment) { ["Urls"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}" }, logs);
foreach (var name in ServiceSet.Instances.Keys)
{
    services.Start(name);
}

// What goes by is watched here; the trainings are begun from here.
var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddInMemoryCollection(settings);
builder.Services.AddSingleton<Observations>();
builder.AddPipelineDefaults("chaos-observer", bus => bus.AddConsumer<ObservationRecorder>().Endpoint(e => e.Name = "chaos-observations"));
// The observer's own reconnection warnings would bury the fault lines; the services' logs keep theirs.
builder.Services.AddSerilog(logger => logger.MinimumLevel.Error().WriteTo.Console());
using var host = builder.Build();
await host.StartAsync();
var observations = host.Services.GetRequiredService<Observations>();
using var store = DocumentStore.For(o =>
{
    o.Connection(postgres.ConnectionString);
    o.DatabaseSchemaName = MartenConfiguration.DefaultSchema;
    TrainingStateDocument.Configure(o);
    ModelRegistryDocuments.Configure(o);
});
var watch = new TrainingWatch(store);
using var stopWatching = new CancellationTokenSource();
var watching = watch.RunAsync(stopWatching.Token);
foreach (var queue in (string[])[StageQueues.Training, StageQueues.TrainModel, StageQueues.DetectImages])
{
    await WaitFor($"{queue} has its consumers", async () => (await Counts(queue))?.Consumers >= (queue == StageQueues.Training ? 1 : 2), TimeSpan.FromSeconds(120));
}

var datasetFolder = Path.Combine(work, "dataset");
ShapesDataset.Generate(datasetFolder, new ShapesDatasetOptions { TrainImages = 12, TestImages = 4, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
var dataset = new Uri(Path.Combine(datasetFolder, "manifest.json")).AbsoluteUri;
var begun = new List<Guid>();
var send = host.Services.GetRequiredService<ISendEndpointProvider>();
async Task Begin(int count)
{
    for (var i = 0; i < count; i++)
    {
        var trainingId = NewId.NextGuid();
        await send.Send(new BeginTraining
        {
            TrainingId = trainingId, Organization = "chaos", Project = "chaos", DatasetUri = dataset,
            Hyperparameters = new Hyperparameters { Iterations = options.Iterations, Resolution = 48 },
        });
        lock (begun)
        {
            begun.Add(trainingId);
        }
    }
}

await Begin(options.Trainings);
var started = DateTime.UtcNow;
Console.WriteLine($"began {begun.Count} trainings; faults (seed {options.Seed}), two more trainings begun before each:");
var schedule = new FaultSchedule(services, postgres, broker, watch, options, Begin, async queue => (await Counts(queue))?.Consumers, environment, logs);
var faults = new List<FaultRecord>();
foreach (var (name, inject) in schedule.Faults())
{
    await Begin(2);
    await Task.Delay(TimeSpan.FromSeconds(5));
    var at = DateTime.UtcNow;
    Console.WriteLine($"  {at - started:mm\\:ss} {name}");
    var note = await inject();
    var fault = new FaultRecord(name, at, DateTime.UtcNow) { Note = note };
    faults.Add(fault);
    // Recovery: the first transition any training makes after the fault ended.
    _ = Task.Run(async () =>
    {
        while (observations.LastTransition < fault.Ended && DateTime.UtcNow - fault.Ended < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(100);
        }

        fault.Recovery = observations.LastTransition >= fault.Ended ? observations.LastTransition - fault.Ended : null;
    });
}

var lastFault = DateTime.UtcNow;
await watch.WaitUntilAsync(trainings => begun.All(id => trainings.Any(t => t.CorrelationId == id && IsFinal(t.CurrentState))), options.Deadline);
var finishedAt = DateTime.UtcNow;
await stopWatching.CancelAsync();
await watching;
var trainings = watch.Latest.ToDictionary(t => t.CorrelationId);
var versions = await Reading(async () =>
{
    await using var session = store.QuerySession();
    return await session.Query<ModelVersion>().ToListAsync();
});

var workQueues = StageQueues.All.Concat(["downloader-cleanup", "trainer-cleanup", "detector-cleanup"]).ToList();
var errorQueues = workQueues.Append("chaos-observations").Select(q => $"{q}_error").ToList();
var errorTypes = new Dictionary<string, int>();
foreach (var queue in errorQueues)
{
    foreach (var type in await ErrorMessageTypes(queue))
    {
        errorTypes[$"{queue}: {type}"] = errorTypes.GetValueOrDefault($"{queue}: {type}") + 1;
    }
}

var (pendingRows, parkedRows) = await Reading(OutboxRows);
var completed = begun.Count(id => trainings.GetValueOrDefault(id)?.CurrentState == TrainingStates.Completed);
var failed = begun.Where(id => trainings.GetValueOrDefault(id)?.CurrentState == TrainingStates.Failed).ToList();
var notFinished = begun.Count - completed - failed.Count;
var versionsPerTraining = begun.Select(id => versions.Count(v => v.TrainingId == id)).ToList();
// Each service drops a training's scratch after the training ended (TrainingReadyForCleanup), so after the ledger saw
// the last one end; one the last fault restarted drops it once it is back. The cleanup gets the bound a fault gets.
var settleBound = TimeSpan.FromSeconds(60);
int ScratchLeft() => Directory.Exists(Path.Combine(artifacts, "trainings"))
    ? Directory.GetDirectories(Path.Combine(artifacts, "trainings")).Count(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any())
    : 0;
var scratchAtEnd = ScratchLeft();
while (ScratchLeft() > 0 && DateTime.UtcNow - finishedAt < settleBound)
{
    await Task.Delay(200);
}

var scratchLeft = ScratchLeft();
var cleanedAfter = DateTime.UtcNow - finishedAt;

// A queue can be lost without its service saying so (a channel it was never told had closed): on the broker it has
// fewer consumers than the running instances that consumed it. A reconnect the last fault started gets the same bound.
async Task<List<string>> QueuesMissingConsumers()
{
    var missing = new List<string>();
    foreach (var queue in workQueues)
    {
        var (expected, actual) = (services.ConsumersOf(queue), (await Counts(queue))?.Consumers ?? 0);
        if (actual < expected)
        {
            missing.Add($"{queue} {actual} of {expected}");
        }
    }

    return missing;
}

var countedConsumers = DateTime.UtcNow;
var missingConsumers = await QueuesMissingConsumers();
while (missingConsumers.Count > 0 && DateTime.UtcNow - countedConsumers < settleBound)
{
    await Task.Delay(1000);
    missingConsumers = await QueuesMissingConsumers();
}
var parkedAsInjected = schedule.UndeliverableRow is { } injected ? parkedRows.SequenceEqual([injected]) : parkedRows.Count == 0;

var line = new string('=', 100);
Console.WriteLine(line);
Console.WriteLine($"Trainings                     begun {begun.Count}, completed {completed}, failed {failed.Count}, not finished by the deadline {notFinished}");
foreach (var id in failed)
{
    var training = trainings[id];
    Console.WriteLine($"  failed {id} at {training.FailedStage}: {training.Errors.GetValueOrDefault(training.FailedStage ?? "")}");
}

Console.WriteLine($"Messages in _error queues     {errorTypes.Values.Sum()}{(errorTypes.Count == 0 ? "" : ": " + string.Join(", ", errorTypes.Select(e => $"{e.Key} x{e.Value}")))}");
Console.WriteLine($"ModelVersions per training    {string.Join(", ", versionsPerTraining.GroupBy(n => n).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()} trainings"))}");
Console.WriteLine($"Superseded executions         {observations.SupersededExecutions} (stage starts of an attempt lower than one already started)");
Console.WriteLine($"Without a deadline            {watch.WithoutDeadline.Count} trainings seen in a stage with no deadline on two reads in a row");
Console.WriteLine($"Outbox rows left              {pendingRows} waiting; parked {parkedRows.Count} ({(parkedAsInjected ? "only the injected undeliverable row" : "NOT only the injected row: " + string.Join(", ", parkedRows))})");
Console.WriteLine($"Graceful stops                {schedule.GracefulStops} of {schedule.Stops} SIGTERMed workers exited within the {options.Grace.TotalSeconds:0} s grace");
Console.WriteLine($"apply-schema during the run   {schedule.ApplySchema ?? "not run"}");
Console.WriteLine($"Services that died by themselves {services.Exited.Count}{(services.Exited.Count == 0 ? "" : ": " + string.Join(", ", services.Exited))}");
var notConsuming = services.NotConsumingAgain;
Console.WriteLine($"Queues not consuming again    {notConsuming.Count}{(notConsuming.Count == 0 ? " (every queue a running service logged as stopped consumes again)" : ": " + string.Join(", ", notConsuming))}");
Console.WriteLine($"Queues short of consumers     {missingConsumers.Count}{(missingConsumers.Count == 0 ? " (each stage and cleanup queue has a consumer per running instance that consumed it)" : ": " + string.Join(", ", missingConsumers))}");
Console.WriteLine($"Scratch folders left          {scratchLeft} (trainings/<id> folders still holding files {settleBound.TotalSeconds:0} s after all ended; "
    + $"{scratchAtEnd} at the first look{(scratchAtEnd > 0 && scratchLeft == 0 ? $", all dropped {cleanedAfter.TotalSeconds:0.0} s after it" : "")})");
Console.WriteLine($"All ended                     {finishedAt - started:mm\\:ss} after the first begin, {finishedAt - lastFault:mm\\:ss} after the last fault");
// A fault after which no training moved any more had no work left to recover (every training had ended before it).
// One whose recovery the next fault interrupted (it began before any training moved) is judged with that fault.
bool Overlapped(int i) => i + 1 < faults.Count && faults[i].Recovery is { } r && faults[i + 1].Started < faults[i].Ended + r;
bool Recovered(int i) => Overlapped(i) ? Recovered(i + 1)
    : faults[i].Recovery is { } r ? r <= TimeSpan.FromSeconds(60) : observations.LastTransition < faults[i].Ended;
for (var i = 0; i < faults.Count; i++)
{
    var fault = faults[i];
    var after = fault.Recovery is { } recovery ? $"next transition {recovery.TotalSeconds,5:0.0} s after it" : "no training moved after it";
    var overlapped = Overlapped(i) ? ", the next fault began first: judged with it" : "";
    Console.WriteLine($"  {fault.Name,-82} length {fault.Length.TotalSeconds,5:0.0} s, {after}{overlapped} ({(Recovered(i) ? "met" : "MISSED")})");
    if (fault.Note is not null)
    {
        Console.WriteLine($"      {fault.Note}");
    }
}

Console.WriteLine(line);
var allMet = completed == begun.Count && errorTypes.Count == 0 && versionsPerTraining.All(n => n == 1) && observations.SupersededExecutions == 0
    && watch.WithoutDeadline.Count == 0 && pendingRows == 0 && parkedAsInjected && schedule.GracefulStops == schedule.Stops
    && schedule.ApplySchema?.StartsWith("succeeded", StringComparison.Ordinal) == true && services.Exited.Count == 0 && notConsuming.Count == 0
    && missingConsumers.Count == 0
    && scratchLeft == 0 && Enumerable.Range(0, faults.Count).All(Recovered);
Console.WriteLine("Aim: all completed, 0 in _error, 1 ModelVersion each, 0 superseded, 0 without a deadline, 0 outbox rows waiting and only");
Console.WriteLine("     the injected one parked, every SIGTERM within its grace, apply-schema succeeded, no service died by itself,");
Console.WriteLine("     every queue that stopped consuming consumes again, every instance's queue has its consumer on the broker,");
Console.WriteLine($"     0 scratch {settleBound.TotalSeconds:0} s after all ended, each fault recovered within its length + 60 s: {(allMet ? "met" : "MISSED")}");
Console.WriteLine($"logs: {logs}");
await host.StopAsync();
return allMet ? 0 : 1;

static bool IsFinal(string state) => state is TrainingStates.Completed or TrainingStates.Failed or TrainingStates.Cancelled;

async Task<(int Consumers, int Messages)?> Counts(string queue)
{
    await using var connection = await broker.ConnectionFactory("chaos-counts").CreateConnectionAsync();
    await using var channel = await connection.CreateChannelAsync();
    try
    {
        var declared = await channel.QueueDeclarePassiveAsync(queue);
        return ((int)declared.ConsumerCount, (int)declared.MessageCount);
    }
    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
    {
        return null;
    }
}

// Each message's type, read from its MassTransit envelope; unacknowledged, so closing the channel puts them all back.
async Task<List<string>> ErrorMessageTypes(string queue)
{
    var types = new List<string>();
    if ((await Counts(queue))?.Messages is not > 0)
    {
        return types;
    }

    await using var connection = await broker.ConnectionFactory("chaos-error-types").CreateConnectionAsync();
    await using var channel = await connection.CreateChannelAsync();
    while (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
    {
        using var envelope = JsonDocument.Parse(Encoding.UTF8.GetString(message.Body.Span));
        types.Add(envelope.RootElement.TryGetProperty("messageType", out var type) ? type[0].GetString()!.Split(':')[^1] : "unknown");
    }

    return types;
}

async Task<(int Pending, List<Guid> Parked)> OutboxRows()
{
    await using var connection = new NpgsqlConnection(postgres.ConnectionString);
    await connection.OpenAsync();
    await using var query = new NpgsqlCommand("select message_id, parked_at is not null from pipeline.outbox_messages", connection);
    await using var reader = await query.ExecuteReaderAsync();
    var (pending, parked) = (0, new List<Guid>());
    while (await reader.ReadAsync())
    {
        if (reader.GetBoolean(1))
        {
            parked.Add(reader.GetGuid(0));
        }
        else
        {
            pending++;
        }
    }

    return (pending, parked);
}

// The ledger's reads ride out a database that is still recovering (a postmaster killed late in the run), as the services do.
static async Task<T> Reading<T>(Func<Task<T>> read)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await read();
        }
        catch (Exception exception) when (exception is NpgsqlException or Marten.Exceptions.MartenCommandException && attempt < 60)
        {
            Console.WriteLine($"  (the ledger's read waits for PostgreSQL: {exception.Message.Split('\n')[0]})");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}

static async Task WaitFor(string what, Func<Task<bool>> condition, TimeSpan bound)
{
    var deadline = DateTime.UtcNow + bound;
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"Gave up waiting until {what}.");
        }

        await Task.Delay(200);
    }
}
