using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Artifacts;
using Pipeline.Integration.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// The Uploader as its own process, SIGKILLed while it stores a large set of detections: the next Uploader takes the
/// unacked command and the training ends with exactly one document per image, the whole export, and one
/// DetectionsUploaded, whichever side of the Uploader's commit the kill fell on.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_Uploader_is_killed_while_storing_detections(InfrastructureFixture infrastructure, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Batches = 100;
    private const int ImagesPerBatch = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] Queues = [StageQueues.UploadDetections, $"{StageQueues.UploadDetections}_error"];
    private readonly string root = Directory.CreateTempSubdirectory("pipeline-uploader-killed-").FullName;
    private readonly string schema = infrastructure.NewSchema("uploader_killed");
    private Dictionary<string, string> environment = null!;
    private ServiceProcess uploader = null!;
    private IHost host = null!;

    private WorkerEvents Events => host.Services.GetRequiredService<WorkerEvents>();

    public async Task InitializeAsync()
    {
        await infrastructure.PurgeAsync(Queues);
        var settings = infrastructure.ServiceSettings();
        settings["Artifacts:Root"] = Path.Combine(root, "artifacts");
        settings["Marten:Schema"] = schema;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPipelineDefaults("uploader-killed-test", bus =>
            bus.AddConsumer<WorkerEventRecorder>().Endpoint(e => e.Name = "uploader-killed-test-events"));
        builder.Services.AddSingleton<WorkerEvents>();
        host = builder.Build();
        await host.StartAsync();
        environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        await StartUploaderAsync("uploader");
    }

    public async Task DisposeAsync()
    {
        await uploader.DisposeAsync();
        await host.StopAsync();
        host.Dispose();
        await infrastructure.PurgeAsync(Queues);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task An_Uploader_killed_while_storing_detections_leaves_one_document_per_image_and_one_announcement()
    {
        var store = host.Services.GetRequiredService<IArtifactStore>();
        var trainingId = NewId.NextGuid();
        var modelId = NewId.NextGuid();
        var keys = new List<string>();
        for (var batch = 0; batch < Batches; batch++)
        {
            var key = ArtifactKeys.DetectionBatch(trainingId, 1, batch);
            await store.WriteJsonAsync(key, Enumerable.Range(0, ImagesPerBatch).Select(image => new ImageDetections
            {
                ImageId = $"image-{batch}-{image}",
                Boxes = [new BoxDetection { CategoryId = "1", CategoryName = "circle", X = 1, Y = 2, Width = 3, Height = 4, Confidence = 0.9, ModelId = modelId }],
            }).ToList());
            keys.Add(key);
        }

        await host.Services.GetRequiredService<ISendEndpointProvider>().Send(
            new UploadDetections { TrainingId = trainingId, Attempt = 1, ModelId = modelId, DetectionKeys = keys });
        await RunningPipelineFixture.WaitUntil("the Uploader starts the command",
            () => Task.FromResult(Events.Of<StageStarted>(s => s.TrainingId == trainingId).Count > 0), Timeout);
        uploader.Kill();
        var committedBeforeTheKill = uploader.Output.Contains($"detections over {Batches * ImagesPerBatch} images of {trainingId}");
        await RunningPipelineFixture.WaitUntil("the broker sees the killed Uploader go",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.UploadDetections))?.Consumers == 0, Timeout);
        await uploader.DisposeAsync();
        await StartUploaderAsync("uploader-after-kill");

        await RunningPipelineFixture.WaitUntil("DetectionsUploaded arrives",
            () => Task.FromResult(Events.Of<DetectionsUploaded>(d => d.TrainingId == trainingId).Count > 0), Timeout);
        var uploaded = Assert.Single(Events.Of<DetectionsUploaded>(d => d.TrainingId == trainingId));
        Assert.Equal(Batches * ImagesPerBatch, uploaded.ImageCount);
        Assert.Equal(Batches * ImagesPerBatch, await StoredDocumentsAsync(trainingId));
        var export = await store.ReadAsync<CocoResults>(uploaded.ExportKey);
        Assert.Equal(Batches * ImagesPerBatch, export.Count);
        Assert.Empty(Events.Of<Fault<UploadDetections>>(f => f.Message.TrainingId == trainingId));
        output.WriteLine($"The first Uploader was killed {(committedBeforeTheKill ? "after" : "before")} it committed {Batches * ImagesPerBatch} images.");
    }

    private async Task StartUploaderAsync(string name)
    {
        uploader = ServiceProcess.Start("Uploader", name, environment, Path.Combine(root, "logs"));
        await RunningPipelineFixture.WaitUntil($"{name} consumes its queue", async () =>
            uploader.HasExited || (await infrastructure.QueueCountsAsync(StageQueues.UploadDetections))?.Consumers == 1, Timeout);
        Assert.False(uploader.HasExited, uploader.Output);
    }

    private async Task<long> StoredDocumentsAsync(Guid trainingId)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"select count(*) from \"{schema}\".mt_doc_storeddetections where id like @prefix", connection);
        count.Parameters.AddWithValue("prefix", $"{trainingId:N}/%");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The export is COCO results: one entry per detection, here one per image.</summary>
    private sealed class CocoResults : List<System.Text.Json.JsonElement>;
}
