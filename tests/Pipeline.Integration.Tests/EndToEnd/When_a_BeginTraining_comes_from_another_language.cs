using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// A BeginTraining written by hand as a Node or Python client writes it (a MassTransit JSON envelope published raw to
/// the message type's exchange), its enums as names in either case or as numbers.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_BeginTraining_comes_from_another_language(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("\"manifest\"", "\"testImages\"")]
    [InlineData("\"Manifest\"", "\"TestImages\"")]
    [InlineData("0", "1")]
    public async Task A_raw_envelope_with_enums_as_names_or_numbers_trains_and_detects_on_the_test_images(string datasetFormat, string detectOn)
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"raw-{Guid.NewGuid():N}"), images: 10)).AbsoluteUri;
        var trainingId = Guid.NewGuid();
        var envelope = $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "messageType": ["urn:message:Pipeline.Contracts:BeginTraining"],
              "message": {
                "trainingId": "{{trainingId}}",
                "organization": "e2e",
                "project": "raw-client",
                "datasetUri": "{{dataset}}",
                "datasetFormat": {{datasetFormat}},
                "detectOn": {{detectOn}},
                "hyperparameters": { "iterations": 5, "resolution": 48 }
              }
            }
            """;

        await pipeline.Infrastructure.PublishRawAsync("Pipeline.Contracts:BeginTraining", envelope, "application/vnd.masstransit+json");

        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Completed, TrainingStates.Failed);
        Assert.Equal(TrainingStates.Completed, training.State);
        Assert.True(training.Dataset.TestImageCount > 0, "the dataset has no test images to detect on");
        Assert.Equal(training.Dataset.TestImageCount, training.Dataset.DetectionImageCount);
    }

    [Fact]
    public async Task A_raw_envelope_without_a_dataset_uri_becomes_a_training_failed_at_Initialized_naming_datasetUri()
    {
        var trainingId = Guid.NewGuid();
        var envelope = $$"""
            {
              "messageId": "{{Guid.NewGuid()}}",
              "messageType": ["urn:message:Pipeline.Contracts:BeginTraining"],
              "message": { "trainingId": "{{trainingId}}", "organization": "e2e", "project": "raw-client" }
            }
            """;

        await pipeline.Infrastructure.PublishRawAsync("Pipeline.Contracts:BeginTraining", envelope, "application/vnd.masstransit+json");

        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, TrainingStates.Failed, TrainingStates.Completed);
        Assert.Equal((TrainingStates.Failed, TrainingStates.Initialized), (training.State, training.FailedStage));
        Assert.StartsWith("datasetUri is required", training.Errors[TrainingStates.Initialized]);
        Assert.Equal(0, (await pipeline.Infrastructure.QueueCountsAsync($"{StageQueues.Training}_error"))?.Messages ?? 0);
    }
}
