using System.Net;
using System.Net.Http.Headers;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_a_token_is_configured(NodeFixture fixture)
{
    private const string Token = "node-s3cret";

    [Fact]
    public async Task Detections_need_it_even_over_loopback_and_a_wrong_or_missing_one_is_401()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        await using var node = await fixture.StartNodeAsync(organization, project, new Dictionary<string, string?> { [DetectorNodeSettings.TokenSetting] = Token });
        await node.WaitUntilServingAsync(1);

        var wrong = await DetectAsync(node, "Bearer node-s3creT");
        var missing = await DetectAsync(node, null);
        var otherScheme = await DetectAsync(node, $"Basic {Token}");
        var right = await DetectAsync(node, $"Bearer {Token}");
        using var live = await node.Client.GetAsync("/health/live");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK), (wrong, missing, otherScheme, right));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private async Task<HttpStatusCode> DetectAsync(NodeHost node, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/detect") { Content = NodeHost.Form(fixture.Models.TestImages[0]) };
        if (authorization is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        }

        using var response = await node.Client.SendAsync(request);
        return response.StatusCode;
    }
}
