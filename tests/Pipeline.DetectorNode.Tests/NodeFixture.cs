namespace Pipeline.DetectorNode.Tests;

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "detector node";
}

/// <summary>One trained shapes model and one status API for every test of the collection; each test uses a project of its own.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public ShapesModels Models { get; private set; } = null!;
    public StatusApiStandIn StatusApi { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Models = new ShapesModels();
        StatusApi = await StatusApiStandIn.StartAsync();
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
        NodeHost.StartAsync(Models.StoreRoot, StatusApi.Address, organization, project, settings, services);

    public async Task DisposeAsync()
    {
        await StatusApi.DisposeAsync();
        Models.Dispose();
    }
}
