using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Bench.Chaos;
using Pipeline.Bench.Orchestration;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Storage;
using Pipeline.Registry;
using Pipeline.Integration.Tests;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Integration.Tests.Outages;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;

var options = ChaosOptions.Parse(args);
await using var infrastructure = await BenchInfrastructure.CreateAsync();
await using var postgres = await PrivatePostgres.StartAsync();
var work = Directory.CreateTempSubdirectory("pipeline-chaos-").FullName;
var artifacts = Path.Combine(work, "artifacts");

var settings = infrastructure.ServiceSettings();
settings["ConnectionStrings:Postgres"] = postgres.ConnectionString;
settings["Marten:AutoCreate"] = "CreateOrUpdate";
settings["Artifacts:Root"] = artifacts;
// The dataset is written under the run's work folder; the Downloader reads file:// only under named roots.
settings["Downloader:AllowedRoots:0"] = work;
settings["Watchdog:Interval"] = "00:00:01";
foreach (var stage in TrainingStages.All)
{
    settings[$"Stages:{stage.Running}:Timeout"] = options.StageTimeout.ToString();
}

var environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
environment["Urls"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
await using var services = new ServiceSet(environment, Path.Combine(work, "logs"));
foreach (var name in services.Names)
{
    services.Start(name);
}

// Training and detection answered here; what goes by is watched.
var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddInMemoryCollection(settings);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<Observations>();
builder.AddPipelineDefaults("chaos-stand-ins", bus =>
{
    bus.AddConsumer<SlowTrainModel>().Endpoint(e => { e.Name = StageQueues.TrainModel; e.ConcurrentMessageLimit = 2; });
    bus.AddConsumer<InstantDetectImagesConsumer>().Endpoint(e => e.Name = StageQueues.DetectImages);
    bus.AddConsumer<StandInCleanup>().Endpoint(e => e.Name = "chaos-stand-in-cleanup");
    bus.AddConsumer<ObservationRecorder>().Endpoint(e => e.Name = "chaos-observations");
});
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
await WaitFor("the Orchestrator consumes its queue", async () => (await Counts(StageQueues.Training))?.Consumers > 0, TimeSpan.FromSeconds(60));

var dataset = new Uri(TestDatasets.Write(Path.Combine(work, "dataset"))).AbsoluteUri;
var begun = Enumerable.Range(0, options.Trainings).Select(_ => NewId.NextGuid()).ToList();
var send = host.Services.GetRequiredService<ISendEndpointProvider>();
foreach (var trainingId in begun)
{
    await send.Send(new BeginTraining
    {
        TrainingId = trainingId, Organization = "chaos", Project = "chaos", DatasetUri = dataset,
        Hyperparameters = new Hyperparameters { Iterations = options.TrainSeconds, Resolution = 48 },
    });
}

var started = DateTime.UtcNow;
Console.WriteLine($"began {begun.Count} trainings; faults (seed {options.Seed}):");
var faults = new List<FaultRecord>();
foreach (var (name, inject) in new FaultSchedule(services, postgres, options).Faults())
{
    await Task.Delay(TimeSpan.FromSeconds(5));
    var at = DateTime.UtcNow;
    Console.WriteLine($"  {at - started:mm\\:ss} {name}");
    await inject();
    faults.Add(new FaultRecord(name, at, DateTime.UtcNow));
    var ended = DateTime.UtcNow;
    var fault = faults[^1];
    // Recovery: the first transition any training makes after the fault ended.
    _ = Task.Run(async () =>
    {
        while (observations.LastTransition < ended && DateTime.UtcNow - ended < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(100);
        }

        fault.Recovery = observations.LastTransition >= ended ? observations.LastTransition - ended : null;
    });
}

var trainings = new Dictionary<Guid, TrainingState>();
var finishedBy = DateTime.UtcNow + options.Deadline;
while (DateTime.UtcNow < finishedBy)
{
    try
    {
        await using var session = store.QuerySession();
        trainings = (await session.Query<TrainingState>().ToListAsync()).ToDictionary(t => t.CorrelationId);
    }
    catch (Exception exception) when (exception is Npgsql.NpgsqlException or Marten.Exceptions.MartenCommandException)
    {
        // The database is recovering: read again.
    }

    if (begun.All(id => trainings.TryGetValue(id, out var t) && t.CurrentState is TrainingStates.Completed or TrainingStates.Failed or TrainingStates.Cancelled))
    {
        break;
    }

    await Task.Delay(1000);
}

var finishedAt = DateTime.UtcNow;
IReadOnlyList<ModelVersion> versions;
await using (var session = store.QuerySession())
{
    versions = await session.Query<ModelVersion>().ToListAsync();
}

var errorQueues = StageQueues.All.Concat(["downloader-cleanup", "chaos-stand-in-cleanup", "chaos-observations"]).Select(q => $"{q}_error").ToList();
var errorTypes = new Dictionary<string, int>();
foreach (var queue in errorQueues)
{
    foreach (var type in await ErrorMessageTypes(queue))
    {
        errorTypes[$"{queue}: {type}"] = errorTypes.GetValueOrDefault($"{queue}: {type}") + 1;
    }
}

var completed = begun.Count(id => trainings.GetValueOrDefault(id)?.CurrentState == TrainingStates.Completed);
var failed = begun.Where(id => trainings.GetValueOrDefault(id)?.CurrentState == TrainingStates.Failed).ToList();
var notFinished = begun.Count - completed - failed.Count;
var versionsPerTraining = begun.Select(id => versions.Count(v => v.TrainingId == id)).ToList();
var scratchLeft = Directory.Exists(Path.Combine(artifacts, "trainings"))
    ? Directory.GetDirectories(Path.Combine(artifacts, "trainings")).Count(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any())
    : 0;

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
Console.WriteLine($"Scratch folders left          {scratchLeft} (trainings/<id> folders still holding files)");
Console.WriteLine($"All ended                     {finishedAt - started:mm\\:ss} after the trainings were begun");
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
    Console.WriteLine($"  {fault.Name,-60} length {fault.Length.TotalSeconds,5:0.0} s, {after}{overlapped} ({(Recovered(i) ? "met" : "MISSED")})");
}

Console.WriteLine(line);
var allMet = completed == begun.Count && errorTypes.Count == 0 && versionsPerTraining.All(n => n == 1) && observations.SupersededExecutions == 0
    && scratchLeft == 0 && Enumerable.Range(0, faults.Count).All(Recovered);
Console.WriteLine($"Aim: all completed, 0 in _error, 1 ModelVersion each, 0 superseded, 0 scratch, each outage recovered within its length + 60 s: {(allMet ? "met" : "MISSED")}");
Console.WriteLine($"logs: {Path.Combine(work, "logs")}");
await host.StopAsync();
return allMet ? 0 : 1;

async Task<(int Consumers, int Messages)?> Counts(string queue)
{
    var factory = new RabbitMQ.Client.ConnectionFactory
    {
        HostName = infrastructure.RabbitMqHost, Port = int.Parse(infrastructure.RabbitMqPort), UserName = infrastructure.RabbitMqUsername,
        Password = infrastructure.RabbitMqPassword, VirtualHost = infrastructure.VirtualHost,
    };
    await using var connection = await factory.CreateConnectionAsync();
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

// Each message's type, read from its MassTransit envelope and put back (the management API's get with requeue).
async Task<List<string>> ErrorMessageTypes(string queue)
{
    using var client = new HttpClient { BaseAddress = new Uri(settings["RabbitMq:ManagementUrl"]!) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{infrastructure.RabbitMqUsername}:{infrastructure.RabbitMqPassword}")));
    using var response = await client.PostAsJsonAsync($"api/queues/{Uri.EscapeDataString(infrastructure.VirtualHost)}/{Uri.EscapeDataString(queue)}/get",
        new { count = 10_000, ackmode = "ack_requeue_true", encoding = "auto" });
    if (response.StatusCode == HttpStatusCode.NotFound)
    {
        return [];
    }

    response.EnsureSuccessStatusCode();
    var types = new List<string>();
    foreach (var message in (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray())
    {
        using var envelope = JsonDocument.Parse(message.GetProperty("payload").GetString()!);
        types.Add(envelope.RootElement.TryGetProperty("messageType", out var type) ? type[0].GetString()!.Split(':')[^1] : "unknown");
    }

    return types;
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
