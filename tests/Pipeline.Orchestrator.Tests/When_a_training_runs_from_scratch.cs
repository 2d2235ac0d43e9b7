using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_training_runs_from_scratch : SagaTest
{
    [Fact]
    public async Task DataDownloaded_skips_the_base_model_and_sends_TrainModel()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));

        await DataDownloaded();

        var training = await WaitForState(m => m.TrainingRunning);
        var command = await Sent<TrainModel>(attempt: 1);
        Assert.Null(command.BaseModelKey);
        Assert.Equal("trainings/x/dataset/manifest.json", command.DatasetKey);
        Assert.Equal(0, await SentCountOnceQuiet<DownloadBaseModel>(attempt: 1));
        Assert.Contains(training.History, t => t is { From: "DataDownloaded", To: "TrainingRunning" });
    }

    [Fact]
    public async Task The_images_the_Downloader_left_out_show_in_the_training_with_their_reasons()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));

        await Publish(new TrainingDataDownloaded
        {
            TrainingId = TrainingId, Attempt = 1, DatasetKey = "trainings/x/dataset/manifest.json", DetectionListKey = "trainings/x/detection-images.json",
            Categories = [new Category { Id = "c1", Name = "circle" }], TrainImageCount = 40, TestImageCount = 10, DetectionImageCount = 50,
            SkippedImageCount = 3, SkippedImagesByReason = new Dictionary<ImageSkipReason, int> { [ImageSkipReason.Missing] = 2, [ImageSkipReason.TooLarge] = 1 },
        });

        var dataset = Api.TrainingViews.ToDetails(await WaitForState(m => m.TrainingRunning)).Dataset;
        Assert.Equal(3, dataset.SkippedImageCount);
        Assert.Equal(new Dictionary<ImageSkipReason, int> { [ImageSkipReason.Missing] = 2, [ImageSkipReason.TooLarge] = 1 }, dataset.SkippedImagesByReason);
    }

    [Fact]
    public async Task ModelTrained_records_the_best_metrics_and_sends_UploadModel_with_them()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await ModelTrained(map: 0.91);

        var training = await WaitForState(m => m.TrainModelUploading);
        var command = await Sent<UploadModel>(attempt: 1);
        Assert.Equal(0.91, command.Metrics.MeanAveragePrecision);
        Assert.Equal(0.91, training.BestMetrics!.MeanAveragePrecision);
        Assert.Equal("trainings/x/model", training.TrainedModelKey);
    }

    [Fact]
    public async Task The_current_models_figure_from_ModelTrained_rides_on_UploadModel_for_the_promotion()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        var current = new CurrentModelEvaluation { ModelId = Guid.NewGuid(), Version = 4, MeanAveragePrecision = 0.85 };

        await Publish(new Contracts.ModelTrained
        {
            TrainingId = TrainingId, Attempt = 1, ModelKey = "trainings/x/model", Metrics = new TrainingMetrics { MeanAveragePrecision = 0.9 },
            CurrentModel = current,
        });

        await WaitForState(m => m.TrainModelUploading);
        Assert.Equal(current, (await Sent<UploadModel>(attempt: 1)).CurrentModel);
    }

    [Fact]
    public async Task IncludeInbox_and_the_project_reach_DownloadTrainingData()
    {
        await Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = "zauberzeug", Project = "demo", DatasetUri = "file:///data/shapes/manifest.json", IncludeInbox = true,
        });

        await WaitForState(m => m.DataDownloading);
        var command = await Sent<DownloadTrainingData>(attempt: 1);
        Assert.Equal((true, "zauberzeug", "demo"), (command.IncludeInbox, command.Organization, command.Project));
    }

    [Fact]
    public async Task ModelUploaded_fans_detection_out_in_batches_of_the_configured_size()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelUploading));

        await ModelUploaded();

        var training = await WaitForState(m => m.Detecting);
        await Sent<DetectImages>(attempt: 1, b => b.BatchIndex == 2);
        var batches = Harness.Sent.Select<DetectImages>(x => x.Context.Message.TrainingId == TrainingId, WithoutWaiting).Select(x => x.Context.Message).OrderBy(x => x.BatchIndex).ToList();
        Assert.Equal([(0, 4), (4, 4), (8, 2)], batches.Select(b => (b.FirstImageIndex, b.ImageCount)));
        Assert.All(batches, b => Assert.Equal(3, b.BatchCount));
        // The Detector checks the model it loads against the registry's record, which rides on every batch.
        Assert.All(batches, b => Assert.Equal(RegisteredDescriptionSha256, b.ModelDescriptionSha256));
        Assert.Equal(3, training.BatchCount);
        Assert.Equal(ModelId, training.ModelId);
        Assert.Equal(3, training.ModelVersion);
    }

    [Fact]
    public async Task It_reaches_Completed_publishes_cleanup_and_history_records_every_transition()
    {
        await WalkTo(nameof(TrainingStateMachine.DetectionUploading));
        var upload = await Sent<UploadDetections>(attempt: 1);

        await DetectionsUploaded();

        var training = await WaitForState(m => m.Completed);
        Assert.Equal(3, upload.DetectionKeys.Count);
        await Published<TrainingReadyForCleanup>(x => x.TrainingId == TrainingId);
        Assert.Equal("exports/x/detections.coco.json", training.ExportKey);
        Assert.Equal(6, training.DetectionCount);
        Assert.Null(training.StageDeadline);
        Assert.Equal(
        [
            "Initialized", "DataDownloading", "DataDownloaded", "TrainingRunning", "TrainingFinished", "ConfusionMatrixSyncing",
            "ConfusionMatrixSynced", "TrainModelUploading", "TrainModelUploaded", "Detecting", "Detected", "DetectionUploading",
            "ReadyForCleanup", "Completed",
        ], training.History.Select(t => t.To));
        Assert.Equal(training.History.Select(t => t.To).SkipLast(1), training.History.Skip(1).Select(t => t.From));
        await Published<TrainingStateChanged>(x => x.TrainingId == TrainingId && x.To == "Completed");
    }
}
