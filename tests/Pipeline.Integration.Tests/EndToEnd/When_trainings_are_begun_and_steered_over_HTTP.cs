using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>The status API's door for tools that do not speak AMQP: begin, cancel and retry over HTTP, behind the operator's token.</summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_trainings_are_begun_and_steered_over_HTTP(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_training_posted_as_json_with_names_for_enums_is_accepted_with_its_id_and_completes()
    {
        var body = $$"""
            { "organization": "e2e", "project": "over-http", "datasetUri": "{{Dataset()}}",
              "datasetFormat": "manifest", "detectOn": "testImages", "hyperparameters": { "iterations": 5, "resolution": 48 } }
            """;

        using var response = await PostAsync("/trainings", body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var trainingId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("trainingId").GetGuid();
        Assert.Equal($"/trainings/{trainingId}", response.Headers.Location?.OriginalString);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Completed, TrainingStates.Failed);
        Assert.Equal((TrainingStates.Completed, "over-http"), (training.State, training.Project));
    }

    [Theory]
    [InlineData("""{ "organization": "e2e", "project": "p" }""", "datasetUri is required")]
    [InlineData("""{ "organization": "e2e", "project": "p", "datasetUri": "not a uri" }""", "datasetUri 'not a uri' is not an absolute URI")]
    [InlineData("""{ "organization": "e2e", "datasetUri": "file:///data" }""", "project is required")]
    [InlineData("""{ "organization": "e2e", "project": "p", "datasetUri": "file:///data", "datasetFormat": "tfrecord" }""", "$.datasetFormat")]
    [InlineData("""{ "organization": "e2e", "project": """, "The body is not a BeginTraining")]
    public async Task A_body_that_cannot_begin_is_refused_with_400_naming_the_field(string body, string reason)
    {
        using var response = await PostAsync("/trainings", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Without_the_token_or_with_a_wrong_one_an_action_is_refused_with_401_and_nothing_begins()
    {
        var trainingId = Guid.NewGuid();
        var body = $$"""{ "trainingId": "{{trainingId}}", "organization": "e2e", "project": "p", "datasetUri": "{{Dataset()}}" }""";

        using var missing = await PostAsync("/trainings", body, token: null);
        using var wrong = await PostAsync("/trainings", body, token: pipeline.ActionToken + "x");
        using var reading = await new HttpClient { BaseAddress = pipeline.Api.BaseAddress }.GetAsync("/trainings");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (missing.StatusCode, wrong.StatusCode));
        Assert.Equal("Bearer", wrong.Headers.WwwAuthenticate.Single().Scheme);
        // Reads need one as well: loopback is no credential.
        Assert.Equal(HttpStatusCode.Unauthorized, reading.StatusCode);
        using var after = await pipeline.Api.GetAsync($"/trainings/{trainingId}");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task The_cross_site_text_plain_POST_of_issue_20_is_refused_over_loopback_and_nothing_begins()
    {
        var trainingId = Guid.NewGuid();
        var body = $$"""{ "trainingId": "{{trainingId}}", "organization": "e2e", "project": "p", "datasetUri": "{{Dataset()}}" }""";

        // What any page open in the user's browser could send: text/plain, its own Host (DNS rebinding) and Origin, no token.
        using var asFound = await SendAsync("/trainings", body, "text/plain", token: null, host: "attacker.example", origin: "http://attacker.example");
        // Each check alone, with the operator's token: the Host, the origin, the body's type.
        using var wrongHost = await SendAsync("/trainings", body, "application/json", pipeline.ActionToken, host: "attacker.example", origin: null);
        using var crossOrigin = await SendAsync("/trainings", body, "application/json", pipeline.ActionToken, host: null, origin: "http://attacker.example");
        using var crossSite = await SendAsync("/trainings", body, "application/json", pipeline.ActionToken, host: null, origin: null, fetchSite: "cross-site");
        using var plainText = await SendAsync("/trainings", body, "text/plain", pipeline.ActionToken, host: null, origin: null);

        Assert.Equal(HttpStatusCode.BadRequest, asFound.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.UnsupportedMediaType),
            (wrongHost.StatusCode, crossOrigin.StatusCode, crossSite.StatusCode, plainText.StatusCode));
        using var after = await pipeline.Api.GetAsync($"/trainings/{trainingId}");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task A_viewers_token_reads_and_its_begin_is_403()
    {
        var body = $$"""{ "organization": "e2e", "project": "p", "datasetUri": "{{Dataset()}}" }""";

        using var begin = await PostAsync("/trainings", body, pipeline.ViewerToken);
        using var client = new HttpClient { BaseAddress = pipeline.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pipeline.ViewerToken);
        using var reading = await client.GetAsync("/trainings");

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK), (begin.StatusCode, reading.StatusCode));
    }

    [Theory]
    [InlineData("""{ "iterations": -5, "batchSize": 0 }""", "e2e", "p", "hyperparameters.iterations")]
    [InlineData("""{ "batchSize": 0 }""", "e2e", "p", "hyperparameters.batchSize")]
    [InlineData("""{ "learningRate": 2 }""", "e2e", "p", "hyperparameters.learningRate")]
    [InlineData("""{ "resolution": 100 }""", "e2e", "p", "hyperparameters.resolution")]
    [InlineData("""{}""", "a/b", "c", "organization")]
    [InlineData("""{}""", "a", "b/c", "project")]
    public async Task What_cannot_train_is_answered_400_naming_the_field_before_anything_is_downloaded(
        string hyperparameters, string organization, string project, string field)
    {
        var trainingId = Guid.NewGuid();
        var body = $$"""
            { "trainingId": "{{trainingId}}", "organization": "{{organization}}", "project": "{{project}}",
              "datasetUri": "file:///nowhere/manifest.json", "hyperparameters": {{hyperparameters}} }
            """;

        using var response = await PostAsync("/trainings", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.StartsWith(field, problem.GetProperty("detail").GetString());
        using var after = await pipeline.Api.GetAsync($"/trainings/{trainingId}");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Stop_cancel_and_retry_of_an_unknown_training_are_404_and_of_a_completed_one_409()
    {
        using var begun = await PostAsync("/trainings", $$"""{ "organization": "e2e", "project": "p", "datasetUri": "{{Dataset()}}" }""");
        var trainingId = (await begun.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("trainingId").GetGuid();
        await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Completed);

        using var cancelUnknown = await PostAsync($"/trainings/{Guid.NewGuid()}/cancel", "");
        using var retryUnknown = await PostAsync($"/trainings/{Guid.NewGuid()}/retry", "");
        using var retryCompleted = await PostAsync($"/trainings/{trainingId}/retry", "");
        using var cancelCompleted = await PostAsync($"/trainings/{trainingId}/cancel", "");
        using var stopUnknown = await PostAsync($"/trainings/{Guid.NewGuid()}/stop", "");
        using var stopCompleted = await PostAsync($"/trainings/{trainingId}/stop", "");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            (cancelUnknown.StatusCode, retryUnknown.StatusCode, stopUnknown.StatusCode));
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict),
            (retryCompleted.StatusCode, cancelCompleted.StatusCode, stopCompleted.StatusCode));
        Assert.Contains("only a Failed training is retried", (await retryCompleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Contains("only a training in TrainingRunning can be stopped", (await stopCompleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_failed_training_retried_over_http_runs_its_stage_again_and_one_failed_at_Initialized_is_409()
    {
        var invalid = await PostRawBeginAsync();
        var failedAtStart = await pipeline.WaitForStateAsync(invalid, Timeout, TrainingStates.Failed);
        using var refused = await PostAsync($"/trainings/{invalid}/retry", "");
        Assert.Equal(TrainingStates.Initialized, failedAtStart.FailedStage);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        // A dataset that is missing now and written before the retry: the retry's attempt downloads it.
        var folder = Path.Combine(pipeline.WorkFolder, $"later-{Guid.NewGuid():N}");
        using var begun = await PostAsync("/trainings", $$"""{ "organization": "e2e", "project": "p", "datasetUri": "{{new Uri(folder).AbsoluteUri}}" }""");
        var trainingId = (await begun.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("trainingId").GetGuid();
        Assert.Equal(TrainingStates.DataDownloading, (await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Failed)).FailedStage);
        TestDatasets.Write(folder);

        using var retried = await PostAsync($"/trainings/{trainingId}/retry", "");

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Completed);
        // Attempts count per stage: the download ran twice, everything after it once.
        Assert.Contains(training.History, t => t.To == TrainingStates.DataDownloading && t.Attempt == 2);
    }

    /// <summary>A BeginTraining with no dataset URI, as a client that skipped the validation would send it over AMQP.</summary>
    private async Task<Guid> PostRawBeginAsync()
    {
        var trainingId = Guid.NewGuid();
        await pipeline.Infrastructure.PublishRawAsync("Pipeline.Contracts:BeginTraining", $$"""
            { "messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:Pipeline.Contracts:BeginTraining"],
              "message": { "trainingId": "{{trainingId}}", "organization": "e2e", "project": "p" } }
            """, "application/vnd.masstransit+json");
        return trainingId;
    }

    private string Dataset() => new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"http-{Guid.NewGuid():N}"))).AbsoluteUri;

    private Task<HttpResponseMessage> PostAsync(string path, string body) => PostAsync(path, body, pipeline.ActionToken);

    private async Task<HttpResponseMessage> SendAsync(
        string path, string body, string contentType, string? token, string? host, string? origin, string? fetchSite = null)
    {
        using var client = new HttpClient { BaseAddress = pipeline.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Host = host;
        foreach (var (name, value) in new[] { ("Origin", origin), ("Sec-Fetch-Site", fetchSite) })
        {
            if (value is not null)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? token)
    {
        using var client = new HttpClient { BaseAddress = pipeline.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }
}
