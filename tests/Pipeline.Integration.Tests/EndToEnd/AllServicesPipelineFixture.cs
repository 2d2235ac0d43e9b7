namespace Pipeline.Integration.Tests.EndToEnd;

[CollectionDefinition(Name)]
public sealed class AllServicesPipelineCollection : ICollectionFixture<AllServicesPipelineFixture>
{
    public const string Name = "all five services";
}

/// <summary>All five services as processes: Orchestrator, Downloader, Uploader, the real Trainer and two Detectors.</summary>
public sealed class AllServicesPipelineFixture : IAsyncLifetime
{
    public RunningPipelineFixture Pipeline { get; } = new(realWorkers: true);

    public Task InitializeAsync() => Pipeline.InitializeAsync();

    public Task DisposeAsync() => Pipeline.DisposeAsync();
}
