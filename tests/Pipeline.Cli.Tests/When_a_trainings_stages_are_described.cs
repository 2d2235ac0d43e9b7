using Pipeline.Contracts;
using Pipeline.Cli.Watching;

namespace Pipeline.Cli.Tests;

public sealed class When_a_trainings_stages_are_described
{
    [Fact]
    public void Stages_describe_a_running_training_with_its_progress()
    {
        var training = Downloaded(new DatasetStatus { Uri = "file:///data", Key = null, Categories = [], TrainImageCount = 10, TestImageCount = 2, DetectionImageCount = 12, SkippedImageCount = 0 }) with
        {
            Training = new TrainingRunStatus { BaseModelId = null, BestMetrics = null, TrainedModelKey = null, Progress = new TrainingProgress { Iteration = 120, TotalIterations = 300, Loss = 0.5, EstimatedTimeLeft = TimeSpan.FromSeconds(90) } },
        };

        var lines = StageLines.Describe(training, DateTimeOffset.UnixEpoch.AddSeconds(12));

        Assert.Equal(["download data", "train", "upload model", "detect", "upload detections"], lines.Select(line => line.Name));
        Assert.Equal(StageStatus.Done, lines[0].Status);
        Assert.Equal(TimeSpan.FromSeconds(2), lines[0].Duration);
        Assert.Equal(StageStatus.Running, lines[1].Status);
        Assert.Equal("iteration 120/300, loss 0.5000, 1m30s left", lines[1].Detail);
        Assert.Equal(TimeSpan.FromSeconds(10), lines[1].Duration);
        Assert.Equal(StageStatus.Pending, lines[2].Status);
    }

    [Fact]
    public void The_download_line_says_why_images_were_left_out()
    {
        var training = Downloaded(new DatasetStatus
        {
            Uri = "file:///data", Key = null, Categories = [], TrainImageCount = 12, TestImageCount = 2, DetectionImageCount = 14, SkippedImageCount = 4,
            SkippedImagesByReason = new Dictionary<ImageSkipReason, int> { [ImageSkipReason.OutsideRoot] = 1, [ImageSkipReason.Missing] = 3 },
        });

        var lines = StageLines.Describe(training, DateTimeOffset.UnixEpoch.AddSeconds(3));

        Assert.Equal("12 train / 2 test images, 0 categories, 4 skipped (3 missing, 1 outside the dataset root)", lines[0].Detail);
    }

    [Fact]
    public void The_download_line_says_how_many_train_images_came_from_the_inbox()
    {
        var training = Downloaded(new DatasetStatus
        {
            Uri = "file:///data", Key = null, Categories = [], TrainImageCount = 12, TestImageCount = 2, DetectionImageCount = 14, SkippedImageCount = 0,
            InboxImageCount = 2, InboxSkippedCount = 1,
        });

        var lines = StageLines.Describe(training, DateTimeOffset.UnixEpoch.AddSeconds(3));

        Assert.Equal("12 train (2 from the inbox, 1 inbox items skipped) / 2 test images, 0 categories", lines[0].Detail);
    }

    /// <summary>A training whose data is downloaded and whose training runs.</summary>
    private static TrainingDetails Downloaded(DatasetStatus dataset) => new()
    {
        Id = Guid.NewGuid(), Organization = "org", Project = "project", State = "TrainingRunning", Errors = new Dictionary<string, string>(),
        Dataset = dataset,
        Training = new TrainingRunStatus { BaseModelId = null, Progress = null, BestMetrics = null, TrainedModelKey = null },
        Model = new ModelStatus { ModelId = null, Version = null, ModelKey = null },
        Detection = new DetectionStatus { DetectOn = DetectionScope.AllImages, BatchCount = 0, BatchesDetected = 0, DetectionCount = 0, ExportKey = null },
        History =
        [
            new StateTransition { From = "Initialized", To = "DataDownloading", At = DateTimeOffset.UnixEpoch },
            new StateTransition { From = "DataDownloading", To = "DataDownloaded", At = DateTimeOffset.UnixEpoch.AddSeconds(2) },
            new StateTransition { From = "DataDownloaded", To = "TrainingRunning", At = DateTimeOffset.UnixEpoch.AddSeconds(2) },
        ],
    };
}
