using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Hosting.Artifacts;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// The whole learning loop on the five services and a detector node, all as processes: a first training becomes the
/// project's current model and the node serves it; images the node finds uncertain reach the project's inbox; a second
/// training that includes them and improves is promoted and the node switches to it by itself; a deliberately worse
/// third training is registered but not promoted, and the node stays where it is.
/// </summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class TheLearningLoopTests(AllServicesPipelineFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);
    private readonly string project = $"loop-{Guid.NewGuid():N}";
    private ServiceProcess? node;
    private HttpClient nodeApi = new();

    private RunningPipelineFixture Pipeline => fixture.Pipeline;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (node is not null)
        {
            await node.DisposeAsync();
        }

        nodeApi.Dispose();
    }

    [Fact]
    public async Task Uncertain_images_come_back_a_better_model_is_followed_and_a_worse_one_is_not()
    {
        var folder = Path.Combine(Pipeline.WorkFolder, project);
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 24, TestImages = 8, Size = 64, MinShapeSize = 10, MaxShapeSize = 28 });
        var dataset = new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri;

        // 1. A short first training: the project's first model, so its current one.
        var first = await TrainAsync(dataset, options => options.Iterations = 30);
        Assert.True(first.IsCurrent);
        Assert.True(first.Promotion?.Promoted, first.Promotion?.Reason);

        // 2. A node that follows the project serves it; every image it is unsure of goes to the project's inbox.
        await StartNodeAsync();
        await RunningPipelineFixture.WaitUntil($"the node serves version {first.Version}", async () => (await ServedVersionAsync()) == first.Version, Bound);
        var images = Directory.GetFiles(Path.Combine(folder, "images")).Order().Take(8).ToList();
        foreach (var image in images)
        {
            var answer = await DetectAsync(image);
            Assert.Equal(first.Version, answer.ModelVersion);
            Assert.Equal(first.Id, answer.ModelId);
        }

        var inbox = ArtifactKeys.Inbox("e2e", project);
        await RunningPipelineFixture.WaitUntil("uncertain images reach the project's inbox, each with its detections",
            () => Task.FromResult(CompleteInboxItems(inbox) > 0), Bound);
        var inboxed = CompleteInboxItems(inbox);

        // 3. A second training continues from the first, ten times longer, with the inbox: it improves and is promoted.
        var second = await TrainAsync(dataset, options =>
        {
            options.Iterations = 300;
            options.BaseModelId = first.Id;
            options.IncludeInbox = true;
        });
        var secondTraining = await Pipeline.WaitForStateAsync(second.TrainingId, Bound, TrainingStates.Completed);
        Assert.True(secondTraining.Dataset.InboxImageCount >= inboxed, $"{secondTraining.Dataset.InboxImageCount} inbox images trained, {inboxed} in the inbox");
        Assert.True(second.Promotion?.Promoted, second.Promotion?.Reason);
        Assert.Equal(first.Id, second.Promotion!.ComparedWithModelId);
        await RunningPipelineFixture.WaitUntil($"the node switches to version {second.Version} by itself",
            async () => (await ServedVersionAsync()) == second.Version, Bound);
        Assert.Equal(second.Version, (await DetectAsync(images[0])).ModelVersion);

        // 4. A deliberately worse training (two iterations from scratch) is registered, not promoted; the node stays.
        var worse = await TrainAsync(dataset, options => options.Iterations = 2);
        Assert.False(worse.Promotion?.Promoted ?? true, worse.Promotion?.Reason);
        Assert.False(worse.IsCurrent);
        Assert.Equal(second.Id, worse.Promotion!.ComparedWithModelId);
        var current = await Pipeline.Api.GetFromJsonAsync<ModelVersion>($"/models/current?organization=e2e&project={project}", ApiJson.Options);
        Assert.Equal(second.Id, current!.Id);
        Assert.Equal(second.Version, (await DetectAsync(images[0])).ModelVersion);
        output.WriteLine($"inbox: {inboxed} items; v{first.Version} {first.Promotion!.Reason} | v{second.Version} {second.Promotion.Reason} | " +
            $"v{worse.Version} {worse.Promotion.Reason}");
    }

    private async Task<ModelVersion> TrainAsync(string dataset, Action<BeginTrainingOptions> configure)
    {
        var trainingId = await Pipeline.BeginAsync(dataset, options =>
        {
            options.Project = project;
            options.Resolution = 64;
            configure(options);
        });
        var training = await Pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed, TrainingStates.Cancelled);
        Assert.True(training.State == TrainingStates.Completed, $"{trainingId} ended {training.State}: {string.Join("; ", training.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        var models = await Pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options);
        return models!.Single(model => model.TrainingId == trainingId);
    }

    private async Task StartNodeAsync()
    {
        var url = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var settings = Pipeline.Infrastructure.ServiceSettings();
        settings["Artifacts:Root"] = Pipeline.ArtifactRoot;
        settings["DetectorNode:Organization"] = "e2e";
        settings["DetectorNode:Project"] = project;
        settings["DetectorNode:StatusApi"] = Pipeline.Api.BaseAddress!.ToString();
        settings["DetectorNode:Device"] = "cpu";
        settings["DetectorNode:Threads"] = "1";
        // Every detection counts as uncertain here: which images a young model is unsure of is not this test's point.
        settings["DetectorNode:UncertainBand:Min"] = "0";
        settings["DetectorNode:UncertainBand:Max"] = "1";
        settings["DetectorNode:MinConfidence"] = "0.05";
        settings["DetectorNode:OutboxFolder"] = Path.Combine(Pipeline.WorkFolder, $"{project}-node-outbox");
        settings["DetectorNode:RetryInterval"] = "00:00:00.500";
        settings["Urls"] = url;
        var environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        node = ServiceProcess.Start("DetectorNode", $"detector-node-{project}", environment, Path.Combine(Pipeline.WorkFolder, "logs"));
        nodeApi = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        await RunningPipelineFixture.WaitUntil("the detector node answers", async () =>
        {
            Assert.False(node.HasExited, node.Output);
            try
            {
                return (await nodeApi.GetAsync("/health/live")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Bound);
    }

    private async Task<int?> ServedVersionAsync()
    {
        using var response = await nodeApi.GetAsync("/model");
        return response.StatusCode == HttpStatusCode.OK ? (await response.Content.ReadFromJsonAsync<NodeModel>(ApiJson.Options))!.Version : null;
    }

    private async Task<NodeDetections> DetectAsync(string image)
    {
        using var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(image));
        file.Headers.ContentType = new MediaTypeHeaderValue(image.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg");
        content.Add(file, "image", Path.GetFileName(image));
        using var response = await nodeApi.PostAsync("/detect", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<NodeDetections>(ApiJson.Options))!;
    }

    private int CompleteInboxItems(string inbox) =>
        Pipeline.Artifacts.List(inbox).Count(key => key.EndsWith("/detections.json", StringComparison.Ordinal));
}
