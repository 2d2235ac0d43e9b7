using System.Net;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_a_node_has_no_model_yet(NodeFixture fixture)
{
    [Fact]
    public async Task Detect_is_503_saying_so_and_the_node_is_live_but_not_ready_until_a_promotion_brings_one()
    {
        var (organization, project) = NodeFixture.NewProject();
        await using var node = await fixture.StartNodeAsync(organization, project);

        using var detect = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        using var live = await node.Client.GetAsync("/health/live");
        using var ready = await node.Client.GetAsync("/health/ready");
        using var loaded = await node.Client.GetAsync("/model");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, detect.StatusCode);
        Assert.Contains("no model loaded yet", await detect.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable),
            (live.StatusCode, ready.StatusCode, loaded.StatusCode));

        var first = fixture.Register(organization, project, 1, lastIsCurrent: false).Single();
        await node.PublishAsync(ShapesModels.Promotion(first));
        await node.WaitUntilServingAsync(1);

        using var after = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(first.Id, (await NodeHost.ReadAsync<NodeDetections>(after)).ModelId);
    }
}
