using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Marten;
using Pipeline.Contracts;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Persistence;

namespace Pipeline.Integration.Tests.Accounts;

/// <summary>
/// The dashboard's Replay (the status API's <c>POST /trainings/{id}/replay</c>) runs in the Orchestrator, over its own
/// broker account as scripts/infra.sh declares it: that account must read another stage's _error queue and write the
/// stage's queue, or a user's Replay fails where <c>pipeline replay</c> as the operator works.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_dashboard_replays_under_the_Orchestrators_account(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private const string Token = "replay-accounts-test-token";

    private readonly string schema = infrastructure.NewSchema("replay_account");
    private readonly string work = Directory.CreateTempSubdirectory("replay-account-").FullName;
    private readonly string apiUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
    private ServiceProcess? orchestrator;
    private DocumentStore? store;

    public async Task InitializeAsync()
    {
        store = DocumentStore.For(options =>
        {
            options.Connection(infrastructure.PostgresConnectionString);
            options.DatabaseSchemaName = schema;
            TrainingStateDocument.Configure(options);
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await infrastructure.PurgeAsync(StageQueues.DownloadTrainingData, $"{StageQueues.DownloadTrainingData}_error");
        var user = Environment.GetEnvironmentVariable("PIPELINE_ORCHESTRATOR_RABBITMQ_USER") ?? Missing("PIPELINE_ORCHESTRATOR_RABBITMQ_USER");
        var password = Environment.GetEnvironmentVariable("PIPELINE_ORCHESTRATOR_RABBITMQ_PASSWORD") ?? Missing("PIPELINE_ORCHESTRATOR_RABBITMQ_PASSWORD");
        await infrastructure.GrantAsDeclaredAsync("orchestrator", user);

        var settings = infrastructure.ServiceSettings();
        settings["RabbitMq:Username"] = user;
        settings["RabbitMq:Password"] = password;
        settings["Marten:Schema"] = schema;
        settings["Artifacts:Root"] = Path.Combine(work, "artifacts");
        settings["StatusApi:OperatorTokens:0"] = Token;
        settings["Urls"] = apiUrl;
        orchestrator = ServiceProcess.Start("Orchestrator", "orchestrator",
            settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!), Path.Combine(work, "logs"));
        using var probe = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(5) };
        await RunningPipelineFixture.WaitUntil("the Orchestrator's status API is ready", async () =>
        {
            Assert.False(orchestrator.HasExited, orchestrator.Output);
            try
            {
                return (await probe.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Bound);
    }

    public async Task DisposeAsync()
    {
        if (orchestrator is not null)
        {
            await orchestrator.DisposeAsync();
        }

        store?.Dispose();
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Replay_moves_a_failed_download_from_its_error_queue_back_to_the_Downloaders_queue()
    {
        var trainingId = Guid.NewGuid();
        await using (var session = store!.LightweightSession())
        {
            session.Store(new TrainingState
            {
                CorrelationId = trainingId, CurrentState = TrainingStates.Failed, FailedStage = TrainingStates.DataDownloading, Attempt = 1,
                Organization = "accounts", Project = "replay",
            });
            await session.SaveChangesAsync();
        }

        var messageId = Guid.NewGuid();
        var envelope = JsonSerializer.Serialize(new
        {
            messageId, messageType = new[] { "urn:message:Pipeline.Contracts:DownloadTrainingData" },
            message = new { trainingId, attempt = 1, datasetUri = "file:///nowhere" },
        });
        await infrastructure.DeclareQueuesAsync(StageQueues.DownloadTrainingData);
        await infrastructure.SendRawToQueueAsync($"{StageQueues.DownloadTrainingData}_error", envelope);
        using var api = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);

        using var replayed = await api.PostAsync($"/trainings/{trainingId}/replay", null);

        Assert.True(replayed.StatusCode == HttpStatusCode.Accepted, $"{(int)replayed.StatusCode}: {await replayed.Content.ReadAsStringAsync()}\n{OrchestratorErrors()}");
        var answer = await replayed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, StageQueues.DownloadTrainingData), (answer.GetProperty("moved").GetInt32(), answer.GetProperty("queue").GetString()));
        Assert.Equal(0, (await infrastructure.QueueCountsAsync($"{StageQueues.DownloadTrainingData}_error"))?.Messages);
        // Its own message, not a count: other tests of this run may queue DownloadTrainingData in the same virtual host
        // (a clean-clone CI run found 2 where this test had put 1).
        Assert.True(await infrastructure.QueueHoldsAsync(StageQueues.DownloadTrainingData, messageId), $"message {messageId} is not in {StageQueues.DownloadTrainingData}");
    }

    /// <summary>The Orchestrator's log lines that carry an error or warning, for a failure's message.</summary>
    private string OrchestratorErrors() => string.Join('\n', orchestrator!.Output.Split('\n')
        .Where(line => line.Contains("ERR", StringComparison.Ordinal) || line.Contains("WRN", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal))
        .TakeLast(20));

    private static string Missing(string name) => throw new InvalidOperationException(
        $"{name} is not set: this test runs the Orchestrator with its own account, which 'scripts/infra.sh up' makes; run 'eval \"$(scripts/infra.sh env)\"'.");
}
