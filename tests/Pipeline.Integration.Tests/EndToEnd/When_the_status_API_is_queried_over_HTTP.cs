using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>The Orchestrator's status API over HTTP, on trainings the running services took to their end.</summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_the_status_API_is_queried_over_HTTP(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Trainings_filtered_by_state_are_only_those_in_that_state()
    {
        var completed = await BeginAndWait(Dataset(), "Completed");
        var failed = await BeginAndWait("ftp://example.invalid/dataset.zip", "Failed");

        var inFailed = await Trainings("?state=Failed&take=1000");
        var inCompleted = await Trainings("?state=Completed&take=1000");

        Assert.Contains(inFailed, t => t.Id == failed);
        Assert.DoesNotContain(inFailed, t => t.Id == completed);
        Assert.All(inFailed, t => Assert.Equal("Failed", t.State));
        Assert.Contains(inCompleted, t => t.Id == completed);
        Assert.All(inCompleted, t => Assert.Equal("Completed", t.State));
    }

    [Fact]
    public async Task Trainings_come_latest_updated_first_and_take_keeps_only_the_newest()
    {
        var older = await BeginAndWait(Dataset(), "Completed");
        var newer = await BeginAndWait(Dataset(), "Completed");

        var two = await Trainings("?take=2");
        var all = await Trainings("?take=1000");
        var one = await Trainings("?take=0");

        Assert.Equal([newer, older], two.Select(t => t.Id));
        Assert.Equal(all.OrderByDescending(t => t.Updated).Select(t => t.Id), all.Select(t => t.Id));
        Assert.True(all.Count > 2, "the collection's other trainings are listed too");
        // A take below one is raised to one, not an empty page or an error.
        Assert.Equal([newer], one.Select(t => t.Id));
    }

    [Fact]
    public async Task Models_filtered_by_organization_are_only_that_organizations()
    {
        var organization = $"org-{Guid.NewGuid():N}";
        var ours = await BeginAndWait(Dataset(), "Completed", o => o.Organization = organization);
        var theirs = await BeginAndWait(Dataset(), "Completed");

        var models = await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?organization={organization}", ApiJson.Options);
        var everyone = await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>("/models", ApiJson.Options);

        var model = Assert.Single(models!);
        Assert.Equal((ours, organization), (model.TrainingId, model.Organization));
        Assert.Contains(everyone!, m => m.TrainingId == theirs);
        Assert.Contains(everyone!, m => m.TrainingId == ours);
    }

    [Fact]
    public async Task An_unknown_training_and_its_series_answer_404_with_a_problem_that_names_the_id()
    {
        var unknown = NewId.NextGuid();

        using var response = await pipeline.Api.GetAsync($"/trainings/{unknown}");
        using var series = await pipeline.Api.GetAsync($"/trainings/{unknown}/series");

        Assert.Equal(HttpStatusCode.NotFound, series.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("Unknown training", problem.GetProperty("title").GetString());
        Assert.Contains(unknown.ToString(), problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_schema_of_BeginTraining_is_served_as_generated_from_the_record_and_an_unknown_one_is_404()
    {
        using var schema = await pipeline.Api.GetAsync("/schema/BeginTraining.json");
        using var unknown = await pipeline.Api.GetAsync("/schema/Nothing.json");

        Assert.Equal(HttpStatusCode.OK, schema.StatusCode);
        Assert.Equal("application/schema+json", schema.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ContractJson.Schema(typeof(BeginTraining)), await schema.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private string Dataset() => new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"api-{Guid.NewGuid():N}"))).AbsoluteUri;

    private async Task<Guid> BeginAndWait(string dataset, string state, Action<BeginTrainingOptions>? configure = null)
    {
        var trainingId = await pipeline.BeginAsync(dataset, configure);
        Assert.Equal(state, (await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed")).State);
        return trainingId;
    }

    private async Task<List<TrainingSummary>> Trainings(string query) =>
        (await pipeline.Api.GetFromJsonAsync<List<TrainingSummary>>($"/trainings{query}", ApiJson.Options))!;
}
