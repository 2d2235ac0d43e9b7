using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_training_begins : SagaTest
{
    [Fact]
    public async Task It_sends_DownloadTrainingData_with_attempt_1_and_waits_in_DataDownloading()
    {
        await Begin();

        var training = await WaitForState(m => m.DataDownloading);
        var command = await Sent<DownloadTrainingData>(attempt: 1);
        Assert.Equal("file:///data/shapes/manifest.json", command.DatasetUri);
        Assert.Equal(1, training.Attempt);
        Assert.Equal("zauberzeug", training.Organization);
        Assert.NotNull(training.StageDeadline);
    }

    [Fact]
    public async Task History_records_Initialized_then_DataDownloading_and_each_transition_is_published()
    {
        await Begin();

        var training = await WaitForState(m => m.DataDownloading);
        Assert.Equal(["Initial>Initialized", "Initialized>DataDownloading"], training.History.Select(t => $"{t.From}>{t.To}"));
        await Published<TrainingStateChanged>(x => x.TrainingId == TrainingId && x.To == "DataDownloading");
    }

    [Fact]
    public async Task A_second_BeginTraining_for_the_same_id_is_ignored()
    {
        await Begin();
        await WaitForState(m => m.DataDownloading);
        await DataDownloaded();
        await WaitForState(m => m.TrainingRunning);

        await Begin();
        await ConsumedCount<BeginTraining>(2);

        Assert.Equal("TrainingRunning", Training.CurrentState);
        Assert.Equal(1, await SentCountOnceQuiet<DownloadTrainingData>(attempt: 1));
    }

    [Fact]
    public async Task A_BeginTraining_without_a_dataset_uri_fails_at_Initialized_naming_the_field_and_sends_no_stage()
    {
        await Publish(new BeginTraining { TrainingId = TrainingId, Organization = "zauberzeug", Project = "p", DatasetUri = null! });

        var training = await WaitForState(m => m.Failed);
        Assert.Equal("Initialized", training.FailedStage);
        Assert.StartsWith("datasetUri is required", training.Errors["Initialized"]);
        Assert.False(await Harness.Sent.Any<DownloadTrainingData>(x => x.Context.Message.TrainingId == TrainingId));
    }

    [Fact]
    public async Task A_test_dataset_travels_with_DownloadTrainingData_and_shows_in_the_training()
    {
        await Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = "zauberzeug", Project = "p", DatasetUri = "file:///data/coco/train.json",
            DatasetFormat = DatasetFormat.Coco, TestDatasetUri = "file:///data/coco/val.json", TestDatasetSha256 = "ab12",
        });

        var training = await WaitForState(m => m.DataDownloading);
        var command = await Sent<DownloadTrainingData>(attempt: 1);
        Assert.Equal(("file:///data/coco/val.json", "ab12"), (command.TestDatasetUri, command.TestDatasetSha256));
        Assert.Equal("file:///data/coco/val.json", Api.TrainingViews.ToDetails(training).Dataset.TestUri);
    }

    [Fact]
    public async Task The_images_folder_the_user_names_travels_with_DownloadTrainingData()
    {
        await Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = "zauberzeug", Project = "p", DatasetUri = "file:///data/coco/annotations/instances_train2017.json",
            DatasetFormat = DatasetFormat.Coco, ImagesFolder = "pictures",
        });

        await WaitForState(m => m.DataDownloading);
        Assert.Equal("pictures", (await Sent<DownloadTrainingData>(attempt: 1)).ImagesFolder);
    }

    [Fact]
    public async Task A_test_dataset_that_is_not_an_absolute_uri_fails_at_Initialized_naming_the_field()
    {
        await Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = "zauberzeug", Project = "p", DatasetUri = "file:///data/train.json", TestDatasetUri = "val.json",
        });

        var training = await WaitForState(m => m.Failed);
        Assert.StartsWith("testDatasetUri 'val.json' is not an absolute URI", training.Errors["Initialized"]);
    }

    [Fact]
    public async Task A_retry_of_a_training_that_failed_at_Initialized_changes_nothing()
    {
        await Publish(new BeginTraining { TrainingId = TrainingId, Organization = "zauberzeug", Project = "p", DatasetUri = "not a uri" });
        await WaitForState(m => m.Failed);

        await Publish(new RetryTraining { TrainingId = TrainingId });
        await ConsumedCount<RetryTraining>(1);

        Assert.Equal(("Failed", 0), (Training.CurrentState, Training.Attempt));
        Assert.False(await Harness.Sent.Any<DownloadTrainingData>(x => x.Context.Message.TrainingId == TrainingId));
    }

    [Theory]
    [InlineData("a/b", "c", "organization 'a/b' is not a name")]
    [InlineData("a", "b/c", "project 'b/c' is not a name")]
    [InlineData("Zauberzeug", "p", "organization 'Zauberzeug' is not a name")]
    [InlineData("zauberzeug", "p", "hyperparameters.iterations must be between 1 and 10,000,000, was -5")]
    public async Task A_BeginTraining_sent_over_AMQP_with_a_bad_name_or_hyperparameter_fails_at_Initialized_with_the_reason(
        string organization, string project, string reason)
    {
        await Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = organization, Project = project, DatasetUri = "file:///data/train.json",
            Hyperparameters = new Hyperparameters { Iterations = -5, BatchSize = 0 },
        });

        var training = await WaitForState(m => m.Failed);
        Assert.Equal("Initialized", training.FailedStage);
        Assert.StartsWith(reason, training.Errors["Initialized"]);
        Assert.False(await Harness.Sent.Any<DownloadTrainingData>(x => x.Context.Message.TrainingId == TrainingId));
    }

    [Fact]
    public void A_broken_range_is_named_as_a_client_writes_the_field()
    {
        var bad = new Hyperparameters { BatchSize = 0 };

        var broken = HyperparameterRanges.FirstBroken(bad);

        Assert.Equal(("BatchSize", "hyperparameters.batchSize"), (broken?.Name, broken?.Field));
        Assert.Null(HyperparameterRanges.FirstBroken(new Hyperparameters()));
    }
}
