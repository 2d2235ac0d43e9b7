using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// A training posted over HTTP with <c>includeInbox</c>: the running Downloader reads the project's inbox in the artifact
/// store, as a detector node leaves it, and the training's dataset says how many train images came from it.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_training_includes_the_project_inbox(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Complete_inbox_items_join_the_train_split_and_stay_in_the_inbox()
    {
        var project = $"inbox-{Guid.NewGuid():N}";
        var items = new[] { Guid.NewGuid(), Guid.NewGuid() };
        foreach (var item in items)
        {
            await WriteItemAsync(project, item, complete: true);
        }

        await WriteItemAsync(project, Guid.NewGuid(), complete: false);
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, project))).AbsoluteUri;
        var body = $$"""
            { "organization": "e2e", "project": "{{project}}", "datasetUri": "{{dataset}}", "includeInbox": true,
              "hyperparameters": { "iterations": 5, "resolution": 48 } }
            """;

        using var client = new HttpClient { BaseAddress = pipeline.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pipeline.ActionToken);
        using var response = await client.PostAsync("/trainings", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var trainingId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("trainingId").GetGuid();
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Completed, TrainingStates.Failed);
        Assert.Equal(TrainingStates.Completed, training.State);
        // TestDatasets.Write's six images: four train, two test; the two complete inbox items train too.
        Assert.Equal((2, 0, 6, 2), (training.Dataset.InboxImageCount, training.Dataset.InboxSkippedCount, training.Dataset.TrainImageCount,
            training.Dataset.TestImageCount));
        Assert.All(items, item => Assert.True(pipeline.Artifacts.Exists($"{ArtifactKeys.InboxItem("e2e", project, item)}/detections.json")));
    }

    private async Task WriteItemAsync(string project, Guid item, bool complete)
    {
        var folder = ArtifactKeys.InboxItem("e2e", project, item);
        using (var image = new Image<Rgb24>(48, 48, new Rgb24(30, 30, 30)))
        {
            var content = new MemoryStream();
            await image.SaveAsPngAsync(content);
            content.Position = 0;
            await pipeline.Artifacts.WriteAsync($"{folder}/image.png", content);
        }

        if (complete)
        {
            await pipeline.Artifacts.WriteJsonAsync($"{folder}/detections.json", new ImageDetections
            {
                ImageId = item.ToString("N"),
                Boxes = [new BoxDetection { CategoryId = TestDatasets.Square.Id, CategoryName = TestDatasets.Square.Name, X = 8, Y = 8, Width = 14, Height = 14, Confidence = 0.45, ModelId = Guid.NewGuid() }],
            });
        }
    }
}
