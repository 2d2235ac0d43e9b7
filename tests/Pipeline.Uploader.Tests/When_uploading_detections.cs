using System.Text.Json;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Uploader.Detections;

namespace Pipeline.Uploader.Tests;

[Collection(PostgresCollection.Name)]
public sealed class When_uploading_detections(PostgresFixture postgres) : IDisposable
{
    private readonly ScratchStore scratch = new();
    private readonly Guid trainingId = Guid.NewGuid();
    private readonly Guid modelId = Guid.NewGuid();

    private DetectionRecorder Recorder => new(postgres.Store, scratch.Store, postgres.Outbox, postgres.Delivery,
        Options.Create(new UploaderSettings()), NullLogger<DetectionRecorder>.Instance);

    private ImageDetections Image(string imageId, int boxes) => new()
    {
        ImageId = imageId,
        Boxes = Enumerable.Range(0, boxes).Select(i => new BoxDetection
        {
            CategoryId = "1", CategoryName = "cat", X = 1 + i, Y = 2, Width = 3, Height = 4, Confidence = 0.9, ModelId = modelId,
        }).ToList(),
        Points = [new PointDetection { CategoryId = "2", CategoryName = "nose", X = 5, Y = 6, Confidence = 0.5, ModelId = modelId }],
        Classifications = [new ClassificationDetection { CategoryId = "3", CategoryName = "day", Confidence = 0.8, ModelId = modelId }],
    };

    private async Task<UploadDetections> BatchesAsync(params ImageDetections[][] batches)
    {
        var keys = new List<string>();
        foreach (var (batch, index) in batches.Select((batch, index) => (batch, index)))
        {
            var key = ArtifactKeys.DetectionBatch(trainingId, 1, index);
            await scratch.Store.WriteJsonAsync(key, batch);
            keys.Add(key);
        }

        return new UploadDetections { TrainingId = trainingId, Attempt = 1, ModelId = modelId, DetectionKeys = keys };
    }

    private async Task<IReadOnlyList<StoredDetections>> StoredAsync()
    {
        await using var query = postgres.Store.QuerySession();
        return await query.Query<StoredDetections>().Where(d => d.TrainingId == trainingId).ToListAsync();
    }

    [Fact]
    public async Task Every_image_is_stored_as_one_document()
    {
        var command = await BatchesAsync([Image("1", 2), Image("2", 1)], [Image("3", 0)]);

        var recorded = await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);

        Assert.NotNull(recorded);
        Assert.Equal((3, 3 + 3 + 3), (recorded.ImageCount, recorded.DetectionCount));
        var stored = await StoredAsync();
        Assert.Equal(["1", "2", "3"], stored.Select(d => d.ImageId).Order());
        var first = stored.Single(d => d.ImageId == "1");
        Assert.Equal(StoredDetections.IdFor(trainingId, "1"), first.Id);
        Assert.Equal((2, 1, 1), (first.Boxes.Count, first.Points.Count, first.Classifications.Count));
        Assert.Equal(modelId, first.ModelId);
    }

    [Fact]
    public async Task A_command_sent_again_leaves_one_document_per_image_and_announces_each_send()
    {
        var command = await BatchesAsync([Image("1", 2), Image("2", 1)]);

        await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);
        var again = await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);

        Assert.Equal(2, again?.ImageCount);
        Assert.Equal(2, (await StoredAsync()).Count);
        Assert.Equal(2, (await postgres.OutboxMessagesAsync<DetectionsUploaded>(trainingId)).Count);
    }

    [Fact]
    public async Task A_redelivered_command_is_recognised_and_announced_once()
    {
        var command = await BatchesAsync([Image("1", 2), Image("2", 1)]);
        var messageId = Guid.NewGuid();

        var first = await Recorder.RecordAsync(command, messageId, CancellationToken.None);
        var redelivered = await Recorder.RecordAsync(command, messageId, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(redelivered);
        Assert.Equal(2, (await StoredAsync()).Count);
        var announced = Assert.Single(await postgres.OutboxMessagesAsync<DetectionsUploaded>(trainingId));
        Assert.Equal((2, first.ExportKey), (announced.ImageCount, announced.ExportKey));
    }

    [Fact]
    public async Task The_export_is_in_coco_results_form()
    {
        var command = await BatchesAsync([Image("7", 1), Image("photo-b", 0)]);

        var recorded = await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);

        Assert.NotNull(recorded);
        Assert.Equal(ArtifactKeys.DetectionExport(trainingId), recorded.ExportKey);
        await using var stream = await scratch.Store.OpenReadAsync(recorded.ExportKey);
        using var export = await JsonDocument.ParseAsync(stream);
        var results = export.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        var box = results[0];
        Assert.Equal(7, box.GetProperty("image_id").GetInt32());
        Assert.Equal(1, box.GetProperty("category_id").GetInt32());
        Assert.Equal([1.0, 2, 3, 4], box.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(0.9, box.GetProperty("score").GetDouble());
        var point = results[1];
        Assert.Equal([5.0, 6, 0, 0], point.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("photo-b", results[2].GetProperty("image_id").GetString());
    }

    [Fact]
    public async Task A_retried_training_that_detects_on_fewer_images_leaves_no_documents_of_the_images_it_dropped()
    {
        await Recorder.RecordAsync(await BatchesAsync([Image("1", 1), Image("2", 1), Image("3", 1)]), Guid.NewGuid(), CancellationToken.None);

        var retried = await BatchesAsync([Image("1", 2), Image("3", 0)]);
        await Recorder.RecordAsync(retried with { Attempt = 2 }, Guid.NewGuid(), CancellationToken.None);

        var stored = await StoredAsync();
        Assert.Equal(["1", "3"], stored.Select(d => d.ImageId).Order());
        Assert.Equal(2, stored.Single(d => d.ImageId == "1").Boxes.Count);
    }

    [Fact]
    public async Task Category_ids_that_are_not_numbers_are_exported_as_strings()
    {
        var image = Image("5", 1);
        image = image with { Boxes = [image.Boxes[0] with { CategoryId = "circle" }], Points = [] };

        var recorded = await Recorder.RecordAsync(await BatchesAsync([image]), Guid.NewGuid(), CancellationToken.None);

        await using var stream = await scratch.Store.OpenReadAsync(recorded!.ExportKey);
        using var export = await JsonDocument.ParseAsync(stream);
        var box = Assert.Single(export.RootElement.EnumerateArray());
        Assert.Equal("circle", box.GetProperty("category_id").GetString());
        Assert.Equal(5, box.GetProperty("image_id").GetInt32());
    }

    [Fact]
    public async Task A_missing_batch_is_refused_naming_its_key()
    {
        var command = new UploadDetections
        {
            TrainingId = trainingId, Attempt = 1, ModelId = modelId, DetectionKeys = [ArtifactKeys.DetectionBatch(trainingId, 1, 3)],
        };

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None));

        Assert.Contains("batch-00003.json", refusal.Message);
    }

    public void Dispose() => scratch.Dispose();
}
