using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// A project's current model as the detector node reads it (<c>GET /models/current</c>), and <c>pipeline promote</c>
/// moving it through the Uploader's queue, on the running services.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_projects_current_model_is_read_and_promoted(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_first_model_of_a_project_is_served_as_current_and_a_project_without_one_is_404_with_a_problem()
    {
        var organization = $"org-{Guid.NewGuid():N}";
        var trainingId = await BeginAndComplete(organization);

        using var response = await pipeline.Api.GetAsync($"/models/current?organization={organization}&project=shapes");
        using var none = await pipeline.Api.GetAsync($"/models/current?organization={organization}&project=nothing-yet");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var current = (await response.Content.ReadFromJsonAsync<ModelVersion>(ApiJson.Options))!;
        Assert.Equal((trainingId, organization, 1, true), (current.TrainingId, current.Organization, current.Version, current.IsCurrent));
        Assert.True(current.Promotion!.Promoted);
        Assert.Contains("first model", current.Promotion.Reason);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        var problem = await none.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("No current model", problem.GetProperty("title").GetString());
        Assert.Contains($"{organization}/nothing-yet", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Promote_makes_a_model_that_was_not_promoted_current_and_models_shows_why()
    {
        var organization = $"org-{Guid.NewGuid():N}";
        await BeginAndComplete(organization);
        var second = await BeginAndComplete(organization);
        var models = (await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?organization={organization}", ApiJson.Options))!;
        var challenger = Assert.Single(models, model => model.TrainingId == second);
        // The stand-in Trainer measures no current model: the second is registered, not promoted, and says so.
        Assert.False(challenger.IsCurrent);
        Assert.False(challenger.Promotion!.Promoted);

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "promote", challenger.Id.ToString(), "--reason", "checked by hand");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"version 2 of {organization}/shapes becomes its current model", output);
        var current = await WaitForCurrent(organization, challenger.Id);
        Assert.True(current.Promotion!.Overridden);
        Assert.Equal("promoted by a user, whatever the metrics: checked by hand", current.Promotion.Reason);
        var (listed, table) = await PipelineCommand.RunAsync(pipeline, "models");
        Assert.True(listed == 0, table);
        Assert.Contains($"{organization}/shapes version 2: promoted by a user, whatever the metrics: checked by hand", table);
        Assert.Contains($"{organization}/shapes version 1: promoted, the first model of {organization}/shapes", table);
    }

    private async Task<Guid> BeginAndComplete(string organization)
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"current-{Guid.NewGuid():N}"))).AbsoluteUri;
        var trainingId = await pipeline.BeginAsync(dataset, options => options.Organization = organization);
        Assert.Equal("Completed", (await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed")).State);
        return trainingId;
    }

    private async Task<ModelVersion> WaitForCurrent(string organization, Guid modelId)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var current = await pipeline.Api.GetFromJsonAsync<ModelVersion>($"/models/current?organization={organization}&project=shapes", ApiJson.Options);
            if (current?.Id == modelId)
            {
                return current;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The current model of {organization}/shapes is still {current?.Id}, not {modelId}, after {Timeout}.");
            await Task.Delay(100);
        }
    }
}
