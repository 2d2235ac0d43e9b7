using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Bench.Orchestration.Workers;

// Stand-ins for the six stage services, kept together since they are one thing: every stage command answered at once
// with its completion event, carrying the command's Attempt, shaped as the real service would answer it.

/// <summary>How the instant workers answer.</summary>
public sealed record InstantAnswers(int DetectionImageCount)
{
    public static readonly IReadOnlyList<Category> Categories =
    [
        new() { Id = "c1", Name = "circle" },
        new() { Id = "c2", Name = "square" },
    ];
}

public sealed class InstantDownloadTrainingData(InstantAnswers answers) : IConsumer<DownloadTrainingData>
{
    public Task Consume(ConsumeContext<DownloadTrainingData> context) => context.Publish(new TrainingDataDownloaded
    {
        TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt,
        DatasetKey = ArtifactKeys.DatasetManifest(context.Message.TrainingId, context.Message.Attempt),
        DetectionListKey = ArtifactKeys.DetectionList(context.Message.TrainingId, context.Message.Attempt),
        Categories = InstantAnswers.Categories,
        TrainImageCount = 64, TestImageCount = 16, DetectionImageCount = answers.DetectionImageCount,
    });
}

public sealed class InstantDownloadBaseModel : IConsumer<DownloadBaseModel>
{
    public Task Consume(ConsumeContext<DownloadBaseModel> context) => context.Publish(new BaseModelDownloaded
    {
        TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt,
        ModelId = context.Message.ModelId, ModelKey = ArtifactKeys.BaseModel(context.Message.TrainingId, context.Message.Attempt),
    });
}

public sealed class InstantTrainModel : IConsumer<TrainModel>
{
    private static readonly TrainingMetrics Metrics = new()
    {
        Iteration = 100, Loss = 0.42, MeanAveragePrecision = 0.9,
        Categories = InstantAnswers.Categories
            .Select(c => new CategoryMetrics { CategoryId = c.Id, CategoryName = c.Name, TruePositives = 9, FalsePositives = 1, FalseNegatives = 1, AveragePrecision = 0.9 })
            .ToList(),
    };

    public Task Consume(ConsumeContext<TrainModel> context) => context.Publish(new ModelTrained
    {
        TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt,
        ModelKey = ArtifactKeys.TrainedModel(context.Message.TrainingId, context.Message.Attempt), Metrics = Metrics,
    });
}

public sealed class InstantUploadModel : IConsumer<UploadModel>
{
    public Task Consume(ConsumeContext<UploadModel> context)
    {
        var modelId = NewId.NextGuid();
        return context.Publish(new ModelUploaded
        {
            TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt,
            ModelId = modelId, Version = 1, ModelKey = ArtifactKeys.RegisteredModel(modelId),
        });
    }
}

public sealed class InstantDetectImages : IConsumer<DetectImages>
{
    public Task Consume(ConsumeContext<DetectImages> context) => context.Publish(new ImagesDetected
    {
        TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt, BatchIndex = context.Message.BatchIndex,
        DetectionsKey = ArtifactKeys.DetectionBatch(context.Message.TrainingId, context.Message.Attempt, context.Message.BatchIndex),
        ImageCount = context.Message.ImageCount, DetectionCount = context.Message.ImageCount * 2,
    });
}

public sealed class InstantUploadDetections : IConsumer<UploadDetections>
{
    public Task Consume(ConsumeContext<UploadDetections> context) => context.Publish(new DetectionsUploaded
    {
        TrainingId = context.Message.TrainingId, Attempt = context.Message.Attempt,
        ImageCount = 0, DetectionCount = context.Message.DetectionKeys.Count,
        ExportKey = ArtifactKeys.DetectionExport(context.Message.TrainingId),
    });
}

public static class InstantWorkerRegistration
{
    /// <summary>Each instant worker on its stage's queue, where the saga sends the command.</summary>
    public static void AddInstantWorkers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<InstantDownloadTrainingData>().Endpoint(e => e.Name = StageQueues.DownloadTrainingData);
        bus.AddConsumer<InstantDownloadBaseModel>().Endpoint(e => e.Name = StageQueues.DownloadBaseModel);
        bus.AddConsumer<InstantTrainModel>().Endpoint(e => e.Name = StageQueues.TrainModel);
        bus.AddConsumer<InstantUploadModel>().Endpoint(e => e.Name = StageQueues.UploadModel);
        bus.AddConsumer<InstantDetectImages>().Endpoint(e => e.Name = StageQueues.DetectImages);
        bus.AddConsumer<InstantUploadDetections>().Endpoint(e => e.Name = StageQueues.UploadDetections);
    }
}
