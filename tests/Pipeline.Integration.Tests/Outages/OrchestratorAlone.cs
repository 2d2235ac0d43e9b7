namespace Pipeline.Integration.Tests.Outages;

/// <summary>The Orchestrator as a process of its own, on this run's virtual host and a PostgreSQL the test names, its status API ready.</summary>
internal sealed class OrchestratorAlone : IAsyncDisposable
{
    private readonly string work;

    private OrchestratorAlone(ServiceProcess process, HttpClient api, string work)
    {
        Process = process;
        Api = api;
        this.work = work;
    }

    public ServiceProcess Process { get; }

    public HttpClient Api { get; }

    /// <summary>StatusApi:OperatorTokens of this Orchestrator (<see cref="Api"/> sends it).</summary>
    public const string Token = "alone-operator-token";

    public static async Task<OrchestratorAlone> StartAsync(
        InfrastructureFixture infrastructure, string postgres, string schema, IReadOnlyDictionary<string, string> extra, TimeSpan bound,
        string? alsoListenOn = null)
    {
        var url = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var settings = infrastructure.ServiceSettings();
        settings["ConnectionStrings:Postgres"] = postgres;
        settings["Marten:Schema"] = schema;
        // Readiness is asked over loopback; another address (a network namespace's way in) is served beside it.
        settings["Urls"] = alsoListenOn is null ? url : $"{url};{alsoListenOn}";
        settings["StatusApi:OperatorTokens:0"] = Token;
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var folder = Directory.CreateTempSubdirectory("orchestrator-alone-").FullName;
        settings["Artifacts:Root"] = Path.Combine(folder, "artifacts");
        var process = ServiceProcess.Start("Orchestrator", "orchestrator",
            settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!), Path.Combine(folder, "logs"));
        var api = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        await EndToEnd.RunningPipelineFixture.WaitUntil("the Orchestrator's status API is ready", async () =>
        {
            Assert.False(process.HasExited, process.Output);
            try
            {
                return (await api.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, bound);
        return new OrchestratorAlone(process, api, folder);
    }

    /// <summary>The training's state as the status API shows it, or null while it does not know the training.</summary>
    public async Task<string?> StateOfAsync(Guid trainingId)
    {
        try
        {
            using var response = await Api.GetAsync($"/trainings/{trainingId}");
            return response.IsSuccessStatusCode
                ? System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString()
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Process.DisposeAsync();
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
