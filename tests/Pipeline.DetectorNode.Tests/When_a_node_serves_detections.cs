using System.Net;
using Pipeline.Datasets.Tests;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_a_node_serves_detections(NodeFixture fixture) : IAsyncLifetime
{
    private NodeHost node = null!;
    private ModelVersion model = null!;

    public async Task InitializeAsync()
    {
        var (organization, project) = NodeFixture.NewProject();
        model = fixture.Register(organization, project, 1).Single();
        node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(1);
    }

    public async Task DisposeAsync() => await node.DisposeAsync();

    [Fact]
    public async Task One_image_as_a_multipart_field_or_as_the_body_gets_the_models_detections_and_its_version()
    {
        var image = fixture.Models.TestImages[0];

        using var asField = await node.Client.PostAsync("/detect", NodeHost.Form(image));
        using var asBody = await node.Client.PostAsync("/detect", NodeHost.ImageContent(File.ReadAllBytes(image)));

        Assert.Equal(HttpStatusCode.OK, asField.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asBody.StatusCode);
        var field = await NodeHost.ReadAsync<NodeDetections>(asField);
        var body = await NodeHost.ReadAsync<NodeDetections>(asBody);
        Assert.Equal((model.Id, 1, Path.GetFileName(image)), (field.ModelId, field.ModelVersion, field.Detections.ImageId));
        Assert.NotEmpty(field.Detections.Boxes);
        Assert.All(field.Detections.Boxes, box => Assert.Equal(model.Id, box.ModelId));
        Assert.Contains(field.Detections.Boxes, box => box.Confidence >= 0.05 && box.Width > 0 && box.Height > 0);
        // The same image as the body: the same detections, as one model gives.
        Assert.Equal(field.Detections.Boxes.Select(b => (b.CategoryId, b.X, b.Y)), body.Detections.Boxes.Select(b => (b.CategoryId, b.X, b.Y)));
    }

    [Fact]
    public async Task A_batch_gets_one_entry_per_image_in_the_order_sent_all_from_one_model()
    {
        var images = fixture.Models.TestImages.Take(5).ToArray();

        using var response = await node.Client.PostAsync("/detect/batch", NodeHost.Form(images));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = await NodeHost.ReadAsync<NodeDetectionBatch>(response);
        Assert.Equal((model.Id, 1), (batch.ModelId, batch.ModelVersion));
        Assert.Equal(images.Select(Path.GetFileName), batch.Images.Select(i => i.ImageId));
        Assert.All(batch.Images, image => Assert.NotEmpty(image.Boxes.Concat<object>(image.Points).Concat(image.Classifications)));
        Assert.Contains(batch.Images, image => image.Boxes.Count > 0);
    }

    [Fact]
    public async Task A_batch_of_more_images_than_MaxBatchImages_is_400_saying_how_many_it_takes()
    {
        var images = Enumerable.Repeat(fixture.Models.TestImages[0], 17).ToArray();

        using var response = await node.Client.PostAsync("/detect/batch", NodeHost.Form(images));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("1 to 16 images", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("truncated", "is truncated")]
    [InlineData("huge", "over Images:MaxMegapixels")]
    [InlineData("gif", "not in Images:Formats")]
    [InlineData("text", "not an image")]
    public async Task An_image_the_bounded_decoder_refuses_is_400_naming_the_image_and_why(string kind, string why)
    {
        var bytes = kind switch
        {
            "truncated" => HostileImages.TruncatedJpeg(),
            "huge" => HostileImages.PngDeclaring(20000, 20000),
            "gif" => HostileImages.Gif(),
            _ => "this is not an image"u8.ToArray(),
        };
        using var form = NodeHost.Form(fixture.Models.TestImages[0]);
        form.Add(NodeHost.ImageContent(bytes), "image", $"{kind}.bin");

        using var response = await node.Client.PostAsync("/detect/batch", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains($"{kind}.bin", text);
        Assert.Contains(why, text);
    }

    [Fact]
    public async Task Model_names_what_is_loaded_and_ready_says_so()
    {
        using var ready = await node.Client.GetAsync("/health/ready");
        var loaded = await NodeHost.ReadAsync<NodeModel>(await node.Client.GetAsync("/model"));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal((model.Id, 1, model.ModelKey, (int?)null), (loaded.ModelId, loaded.Version, loaded.ModelKey, loaded.PinnedVersion));
        Assert.Equal(model.Categories.Select(c => c.Id), loaded.Categories.Select(c => c.Id));
    }
}
