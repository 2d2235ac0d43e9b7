using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Pipeline.DetectorNode.Tests;

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "detector node";
}

/// <summary>
/// One trained shapes model and one status API for every test of the collection; each test uses a project of its own.
/// The nodes' queues and exchanges live in a RabbitMQ virtual host of this run's (when the management API answers at
/// PIPELINE_RABBITMQ_MANAGEMENT_URL), removed at the end, so a named node's durable queue does not outlive the run.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private string? virtualHost;

    public ShapesModels Models { get; private set; } = null!;
    public StatusApiStandIn StatusApi { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Models = new ShapesModels();
        StatusApi = await StatusApiStandIn.StartAsync();
        await CreateVirtualHostAsync();
    }

    /// <summary>A project no other test uses: promotions and inbox items of one test never reach another's.</summary>
    public static (string Organization, string Project) NewProject() => ("test-org", $"shapes-{Guid.NewGuid():N}");

    /// <summary>Registers versions 1..<paramref name="count"/> of the project, the last of them current when asked.</summary>
    public IReadOnlyList<ModelVersion> Register(string organization, string project, int count, bool lastIsCurrent = true)
    {
        var versions = Enumerable.Range(1, count).Select(version => Models.Register(organization, project, version)).ToList();
        for (var i = 0; i < versions.Count; i++)
        {
            StatusApi.Add(versions[i], makeCurrent: lastIsCurrent && i == versions.Count - 1);
        }

        return versions;
    }

    public Task<NodeHost> StartNodeAsync(string organization, string project, IReadOnlyDictionary<string, string?>? settings = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null) =>
        NodeHost.StartAsync(Models.StoreRoot, StatusApi.Address, organization, project,
            virtualHost is null ? settings : new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["RabbitMq:VirtualHost"] = virtualHost },
            services);

    public async Task DisposeAsync()
    {
        await StatusApi.DisposeAsync();
        Models.Dispose();
        if (virtualHost is not null)
        {
            using var client = ManagementClient();
            await client.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(virtualHost)}");
        }
    }

    private async Task CreateVirtualHostAsync()
    {
        var name = $"detector-node-test-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        try
        {
            using var client = ManagementClient();
            (await client.PutAsync($"api/vhosts/{Uri.EscapeDataString(name)}", JsonContent.Create(new { }))).EnsureSuccessStatusCode();
            var permissions = JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" });
            (await client.PutAsync($"api/permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(Env("PIPELINE_RABBITMQ_USER", "pipeline"))}", permissions))
                .EnsureSuccessStatusCode();
            virtualHost = name;
        }
        catch (HttpRequestException)
        {
            // No management API: the nodes share the default virtual host; only the named node's queue stays behind.
        }
    }

    private static HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(Env("PIPELINE_RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672").TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
        var credentials = Encoding.UTF8.GetBytes($"{Env("PIPELINE_RABBITMQ_USER", "pipeline")}:{Env("PIPELINE_RABBITMQ_PASSWORD", "pipeline")}");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(credentials));
        return client;
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
