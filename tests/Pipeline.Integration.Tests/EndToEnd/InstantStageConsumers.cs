using System.Text;
using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// The training side of the flow, answered by the test instead of the real Trainer: it writes a real model
/// folder (weights + model.json with sha256s) that the Uploader verifies, and reports metrics.
/// </summary>
public sealed class InstantTrainModelConsumer(IArtifactStore store) : IConsumer<TrainModel>
{
    private static ConfusionMatrix InstantConfusion(int categories, IReadOnlyList<string> labels) => new()
    {
        Labels = labels,
        Counts = [.. Enumerable.Range(0, categories + 1).Select(t => (IReadOnlyList<int>)[.. Enumerable.Range(0, categories + 1)
            .Select(p => t == p && t < categories ? 9 : (t == categories) != (p == categories) ? 1 : 0)])],
        IouThreshold = 0.5f, ConfidenceThreshold = 0.5f,
    };

    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        var modelKey = ArtifactKeys.TrainedModel(command.TrainingId, command.Attempt);
        var weights = await store.WriteAsync($"{modelKey}/weights.bin", new MemoryStream(Encoding.UTF8.GetBytes($"weights of {command.TrainingId}")));
        var metrics = new TrainingMetrics
        {
            Iteration = command.Hyperparameters.Iterations,
            Loss = 0.25,
            MeanAveragePrecision = 0.9,
            Categories = command.Categories.Select(c => new CategoryMetrics
            {
                CategoryId = c.Id, CategoryName = c.Name, TruePositives = 9, FalsePositives = 1, FalseNegatives = 1, AveragePrecision = 0.9,
            }).ToList(),
            // The same counts as a confusion matrix: 9 right, 1 missed (taken for background), 1 false alarm on background.
            Confusion = InstantConfusion(command.Categories.Count, [.. command.Categories.Select(c => c.Id), ConfusionMatrix.Background]),
        };
        await store.WriteJsonAsync(ModelArtifacts.DescriptionKey(modelKey), new ModelDescription
        {
            Architecture = "instant-test-model",
            Resolution = command.Hyperparameters.Resolution,
            Categories = command.Categories,
            Hyperparameters = command.Hyperparameters,
            Metrics = metrics,
            Files = [new ModelFile { Name = "weights.bin", Sha256 = weights.Sha256, Length = weights.Length }],
        });
        await context.Publish(new TrainingProgressed
        {
            TrainingId = command.TrainingId, Attempt = command.Attempt, Iteration = 1, TotalIterations = command.Hyperparameters.Iterations, Loss = 1,
        }, context.CancellationToken);
        await context.Publish(new ModelTrained { TrainingId = command.TrainingId, Attempt = command.Attempt, ModelKey = modelKey, Metrics = metrics }, context.CancellationToken);
    }
}

/// <summary>The detection side: one box per image of the batch, written where the real Detector writes them.</summary>
public sealed class InstantDetectImagesConsumer(IArtifactStore store) : IConsumer<DetectImages>
{
    public async Task Consume(ConsumeContext<DetectImages> context)
    {
        var command = context.Message;
        var imageIds = await store.ReadAsync<List<string>>(command.DetectionListKey);
        var detections = imageIds.Skip(command.FirstImageIndex).Take(command.ImageCount).Select(imageId => new ImageDetections
        {
            ImageId = imageId,
            Boxes = [new BoxDetection { CategoryId = "square", CategoryName = "square", X = 4, Y = 4, Width = 10, Height = 10, Confidence = 0.9, ModelId = command.ModelId }],
        }).ToList();
        var key = ArtifactKeys.DetectionBatch(command.TrainingId, command.Attempt, command.BatchIndex);
        await store.WriteJsonAsync(key, detections);
        await context.Publish(new ImagesDetected
        {
            TrainingId = command.TrainingId, Attempt = command.Attempt, BatchIndex = command.BatchIndex,
            DetectionsKey = key, ImageCount = detections.Count, DetectionCount = detections.Count,
        }, context.CancellationToken);
    }
}
