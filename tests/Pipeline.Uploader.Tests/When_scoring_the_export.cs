using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Uploader.Detections;

namespace Pipeline.Uploader.Tests;

/// <summary>
/// The mAP the training shows beside the evaluation's is that of exactly what was exported: the full export, read back
/// from its file, against the test split's ground truth.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class When_scoring_the_export(PostgresFixture postgres) : IDisposable
{
    private readonly ScratchStore scratch = new();
    private readonly Guid trainingId = Guid.NewGuid();
    private readonly Guid modelId = Guid.NewGuid();

    private DetectionRecorder Recorder => new(postgres.Store, scratch.Store, postgres.Outbox, postgres.Delivery,
        Options.Create(new UploaderSettings { MinConfidence = 0.3f }), NullLogger<DetectionRecorder>.Instance);

    // Two test images with three cats between them, and a train image the evaluation does not score.
    private static readonly DatasetManifest Manifest = new()
    {
        Categories = [new Category { Id = "1", Name = "cat" }],
        Images =
        [
            new ManifestImage { Id = "1", File = "a.png", Width = 100, Height = 100, Split = "test", Annotations = [Cat(0, 0)] },
            new ManifestImage { Id = "2", File = "b.png", Width = 100, Height = 100, Split = "test", Annotations = [Cat(50, 50), Cat(20, 20)] },
            new ManifestImage { Id = "3", File = "c.png", Width = 100, Height = 100, Split = "train", Annotations = [Cat(0, 0)] },
        ],
    };

    private static ManifestAnnotation Cat(double x, double y) => new() { CategoryId = "1", X = x, Y = y, Width = 10, Height = 10 };

    private BoxDetection Found(double x, double y, double confidence) => new()
    {
        CategoryId = "1", CategoryName = "cat", X = x, Y = y, Width = 10, Height = 10, Confidence = confidence, ModelId = modelId,
    };

    private async Task<UploadDetections> CommandAsync(params ImageDetections[] batch)
    {
        var datasetKey = ArtifactKeys.DatasetManifest(trainingId, 1);
        await scratch.Store.WriteJsonAsync(datasetKey, Manifest);
        var folder = Path.GetDirectoryName(scratch.Store.GetLocalPath(datasetKey))!;
        foreach (var image in Manifest.Images)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, image.File), $"the pixels of {image.Id}");
        }
        var key = ArtifactKeys.DetectionBatch(trainingId, 1, 0);
        await scratch.Store.WriteJsonAsync(key, batch);
        return new UploadDetections { TrainingId = trainingId, Attempt = 1, ModelId = modelId, DetectionKeys = [key], DatasetKey = datasetKey };
    }

    [Fact]
    public async Task The_full_export_scores_the_hand_worked_mAP_while_the_confident_export_keeps_what_is_shown()
    {
        // Ranked over the test images: 0.9 hit (image 1), 0.6 miss, 0.2 miss, 0.05 hit (image 2); 3 cats in all.
        //   precision 1/1, 1/2, 1/3, 2/4 at recall 1/3, 1/3, 1/3, 2/3.
        //   all-points AP = 1/3 * 1 (envelope 1 up to recall 1/3) + (2/3 - 1/3) * 1/2 (envelope 1/2 up to 2/3) + 1/3 * 0 = 0.5.
        // Only what is at or above 0.3 (0.9 hit, 0.6 miss) would give 1/3 * 1 = 0.333: the figure the old export led to.
        // The train image's confident miss is not scored: the evaluation scores the test split.
        var command = await CommandAsync(
            new ImageDetections { ImageId = "1", Boxes = [Found(0, 0, 0.9), Found(60, 0, 0.2)] },
            new ImageDetections { ImageId = "2", Boxes = [Found(50, 50, 0.05), Found(80, 80, 0.6)] },
            new ImageDetections { ImageId = "3", Boxes = [Found(70, 70, 0.99)] });

        var recorded = await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);

        Assert.NotNull(recorded);
        Assert.Equal(0.5, recorded.ExportedMeanAveragePrecision!.Value, 6);
        Assert.Equal(5, await CountAsync(recorded.FullExportKey!));
        Assert.Equal(3, await CountAsync(recorded.ExportKey));
        var announced = Assert.Single(await postgres.OutboxMessagesAsync<DetectionsUploaded>(trainingId));
        Assert.Equal((0.5, ArtifactKeys.FullDetectionExport(trainingId)), (Math.Round(announced.ExportedMeanAveragePrecision!.Value, 6), announced.FullExportKey));
    }

    [Fact]
    public async Task The_ground_truth_file_holds_the_test_images_with_the_ids_of_the_results()
    {
        var recorded = await Recorder.RecordAsync(await CommandAsync(new ImageDetections { ImageId = "1" }, new ImageDetections { ImageId = "2" }),
            Guid.NewGuid(), CancellationToken.None);

        await using var stream = await scratch.Store.OpenReadAsync(recorded!.GroundTruthKey!);
        using var truth = await JsonDocument.ParseAsync(stream);
        Assert.Equal([1, 2], truth.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
        var annotations = truth.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal([1, 2, 2], annotations.Select(a => a.GetProperty("image_id").GetInt32()));
        Assert.Equal([50.0, 50, 10, 10], annotations[1].GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(100, annotations[1].GetProperty("area").GetDouble());
        Assert.Equal(1, Assert.Single(truth.RootElement.GetProperty("categories").EnumerateArray()).GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Detections_that_left_out_a_test_image_are_not_scored()
    {
        var recorded = await Recorder.RecordAsync(await CommandAsync(new ImageDetections { ImageId = "3", Boxes = [Found(0, 0, 0.9)] }),
            Guid.NewGuid(), CancellationToken.None);

        Assert.Null(recorded!.ExportedMeanAveragePrecision);
    }

    [Fact]
    public async Task A_few_test_images_are_kept_in_the_export_with_their_ground_truth_and_confident_detections()
    {
        var command = await CommandAsync(
            new ImageDetections { ImageId = "3", Boxes = [Found(70, 70, 0.99)] },
            new ImageDetections { ImageId = "2", Boxes = [Found(50, 50, 0.05), Found(80, 80, 0.6)] },
            new ImageDetections { ImageId = "1", Boxes = [Found(0, 0, 0.9)] });

        await Recorder.RecordAsync(command, Guid.NewGuid(), CancellationToken.None);

        var samples = await scratch.Store.ReadAsync<DetectionSamples>(ArtifactKeys.SamplesIndex(trainingId));
        Assert.Equal(["1", "2"], samples.Images.Select(image => image.ImageId));
        var second = samples.Images[1];
        Assert.Equal((2, 100, 100), (second.GroundTruth.Count, second.Width, second.Height));
        Assert.Equal([0.6], second.Detections.Boxes.Select(box => box.Confidence));
        Assert.Equal("cat", Assert.Single(samples.Categories).Name);
        Assert.Equal("the pixels of 2", await File.ReadAllTextAsync(scratch.Store.GetLocalPath(ArtifactKeys.SampleImage(trainingId, second.File))));
    }

    private async Task<int> CountAsync(string key)
    {
        await using var stream = await scratch.Store.OpenReadAsync(key);
        using var export = await JsonDocument.ParseAsync(stream);
        return export.RootElement.GetArrayLength();
    }

    public void Dispose() => scratch.Dispose();
}
