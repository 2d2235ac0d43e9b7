using System.Net;
using System.Net.Http.Headers;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_callers_hold_tokens(NodeFixture fixture)
{
    [Fact]
    public async Task Detections_need_an_operators_token_even_over_loopback_a_viewers_reads_the_model_and_health_needs_none()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        await using var node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(1);

        var wrong = await SendAsync(node, HttpMethod.Post, "/detect", $"Bearer {NodeHost.OperatorToken}x");
        var missing = await SendAsync(node, HttpMethod.Post, "/detect", null);
        var otherScheme = await SendAsync(node, HttpMethod.Post, "/detect", $"Basic {NodeHost.OperatorToken}");
        var viewer = await SendAsync(node, HttpMethod.Post, "/detect", $"Bearer {NodeHost.ViewerToken}");
        var right = await SendAsync(node, HttpMethod.Post, "/detect", $"Bearer {NodeHost.OperatorToken}");
        var modelWithout = await SendAsync(node, HttpMethod.Get, "/model", null);
        var modelAsViewer = await SendAsync(node, HttpMethod.Get, "/model", $"Bearer {NodeHost.ViewerToken}");
        var live = await SendAsync(node, HttpMethod.Get, "/health/live", null);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (wrong, missing, otherScheme));
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK), (viewer, right));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.OK), (modelWithout, modelAsViewer, live));
    }

    [Fact]
    public async Task A_body_that_is_neither_an_image_nor_a_form_is_415_and_another_origin_403()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        await using var node = await fixture.StartNodeAsync(organization, project);

        using var text = new HttpRequestMessage(HttpMethod.Post, "/detect") { Content = new StringContent("not an image") };
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Post, "/detect") { Content = NodeHost.Form(fixture.Models.TestImages[0]) };
        crossOrigin.Headers.Add("Origin", "http://attacker.example");
        using var textAnswer = await node.Client.SendAsync(text);
        using var crossAnswer = await node.Client.SendAsync(crossOrigin);

        Assert.Equal((HttpStatusCode.UnsupportedMediaType, HttpStatusCode.Forbidden), (textAnswer.StatusCode, crossAnswer.StatusCode));
    }

    private async Task<HttpStatusCode> SendAsync(NodeHost node, HttpMethod method, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Post ? NodeHost.Form(fixture.Models.TestImages[0]) : null };
        request.Headers.Authorization = authorization is null ? null : AuthenticationHeaderValue.Parse(authorization);
        using var client = new HttpClient { BaseAddress = node.Address, Timeout = TimeSpan.FromMinutes(2) };
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
