using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit;
using Pipeline.Cli;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// `pipeline show`, `watch`, `list` and `models` as a user runs them, reading what the real Orchestrator's status API
/// writes (its enum names, time spans, 404s) about trainings the running services took through their states.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_the_command_line_reads_the_status_API(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Show_prints_a_completed_trainings_per_category_counts_confusion_matrix_model_and_detections()
    {
        var (trainingId, training) = await CompletedTraining();

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "show", trainingId.ToString());

        Assert.True(exitCode == 0, output);
        Assert.Contains($"training {trainingId}", output);
        Assert.Contains("state Completed", output);
        // The instant Trainer reports AP 0.9 and 9/1/1 for the one category.
        Assert.Matches(@"square\s+│ 9\s+│ 1\s+│ 1\s+│ 0\.900", output);
        // And as a confusion matrix, true class by predicted: 9 squares right, 1 taken for background, 1 false alarm.
        Assert.Contains("confusion matrix (IoU 0.5, confidence 0.5)", output);
        Assert.Matches(@"square\s+│\s+9\s+│\s+1\s+│", output);
        Assert.Matches(@"background\s+│\s+1\s+│\s+0\s+│", output);
        Assert.Contains($"model: {training.Model.ModelId} version {training.Model.Version}", output);
        Assert.Contains($"detections: {training.Detection.DetectionCount} ({training.Detection.BatchCount}/{training.Detection.BatchCount} batches, scope AllImages)", output);
        // Every stage the training went through, each with its time from the history's timestamps.
        Assert.Matches(@"upload detections\s+│ Done\s+│ \d", output);
    }

    [Fact]
    public async Task Show_of_a_training_the_Orchestrator_does_not_know_says_so_with_its_id_and_the_not_found_code()
    {
        var unknown = NewId.NextGuid();

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "show", unknown.ToString());

        Assert.Equal(ExitCodes.NotFound, exitCode);
        Assert.Contains($"no training {unknown}", output);
    }

    [Fact]
    public async Task Watch_ends_with_the_exit_code_of_each_outcome_Completed_Failed_and_Cancelled()
    {
        var (completed, _) = await CompletedTraining();
        var failed = await pipeline.BeginAsync("ftp://example.invalid/dataset.zip");
        await pipeline.WaitForStateAsync(failed, Timeout, "Failed");

        var (completedCode, completedOutput) = await PipelineCommand.RunAsync(pipeline, "watch", completed.ToString());
        var (failedCode, failedOutput) = await PipelineCommand.RunAsync(pipeline, "watch", failed.ToString());
        var (cancelCode, cancelOutput) = await PipelineCommand.RunAsync(pipeline, "cancel", failed.ToString());
        Assert.True(cancelCode == 0, cancelOutput);
        await pipeline.WaitForStateAsync(failed, Timeout, "Cancelled");
        var (cancelledCode, cancelledOutput) = await PipelineCommand.RunAsync(pipeline, "watch", failed.ToString());

        Assert.True(completedCode == ExitCodes.Ok, completedOutput);
        Assert.Contains($"Training {completed} Completed", completedOutput);
        Assert.True(failedCode == ExitCodes.TrainingFailed, failedOutput);
        Assert.Contains($"Training {failed} Failed", failedOutput);
        Assert.Contains("ftp", failedOutput);
        Assert.True(cancelledCode == ExitCodes.TrainingCancelled, cancelledOutput);
        Assert.Contains($"Training {failed} Cancelled", cancelledOutput);
    }

    [Fact]
    public async Task List_with_a_state_shows_the_trainings_in_it_and_none_in_another()
    {
        var (completed, _) = await CompletedTraining();
        var failed = await pipeline.BeginAsync("ftp://example.invalid/dataset.zip");
        await pipeline.WaitForStateAsync(failed, Timeout, "Failed");

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "list", "--state", "Failed");
        var (allCode, all) = await PipelineCommand.RunAsync(pipeline, "list");

        Assert.True(exitCode == 0, output);
        Assert.Matches($@"{failed}\s+│ e2e/shapes\s+│ Failed\s+│ 1", output);
        Assert.DoesNotContain(completed.ToString(), output);
        Assert.DoesNotContain("Completed", output);
        Assert.True(allCode == 0, all);
        // Latest first: the failed one was updated after the completed one.
        Assert.True(all.IndexOf(failed.ToString(), StringComparison.Ordinal) < all.IndexOf(completed.ToString(), StringComparison.Ordinal), all);
    }

    [Fact]
    public async Task Models_lists_the_model_a_completed_training_registered()
    {
        var project = $"cli-models-{Guid.NewGuid():N}";
        var (trainingId, training) = await CompletedTraining(project);

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "models");

        Assert.True(exitCode == 0, output);
        var line = Assert.Single(output.Split('\n'), l => l.Contains(training.Model.ModelId!.Value.ToString()));
        // Marked current (or not) and whether it was promoted; why is said on a line of its own under the table.
        Assert.True(Regex.IsMatch(line, $@"│ e2e/{project}\s+│ {training.Model.Version}\s+│ \*?\s+│ 0\.900\s+│ (not )?promoted\s+│ square\s+│ {trainingId}"), output);
        Assert.Contains(output.Split('\n'), l => l.StartsWith($"e2e/{project} version {training.Model.Version}: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_prints_what_the_status_API_answers_and_project_keeps_one_projects_trainings_and_models()
    {
        var project = $"cli-json-{Guid.NewGuid():N}";
        var (trainingId, training) = await CompletedTraining(project);

        var (showCode, show) = await PipelineCommand.RunAsync(pipeline, "show", trainingId.ToString(), "--json");
        var (listCode, list) = await PipelineCommand.RunAsync(pipeline, "list", "--org", "e2e", "--project", project, "--json");
        var (modelsCode, models) = await PipelineCommand.RunAsync(pipeline, "models", "--project", project, "--json");
        var (noneCode, none) = await PipelineCommand.RunAsync(pipeline, "list", "--org", "e2e", "--project", $"{project}-other");

        Assert.True(showCode == 0, show);
        var shown = JsonSerializer.Deserialize<TrainingDetails>(show, ApiJson.Options)!;
        Assert.Equal((trainingId, "Completed", training.Model.ModelId), (shown.Id, shown.State, shown.Model.ModelId));
        Assert.True(listCode == 0, list);
        Assert.Equal([trainingId], JsonSerializer.Deserialize<List<TrainingSummary>>(list, ApiJson.Options)!.Select(t => t.Id));
        Assert.True(modelsCode == 0, models);
        Assert.Equal([training.Model.ModelId!.Value], JsonSerializer.Deserialize<List<ModelVersion>>(models, ApiJson.Options)!.Select(m => m.Id));
        Assert.True(noneCode == 0, none);
        Assert.Contains($"no trainings of e2e/{project}-other", none);
    }

    [Fact]
    public async Task An_id_prefix_names_the_one_training_it_starts_and_says_when_it_starts_none_or_several()
    {
        var shared = Guid.NewGuid().ToString("N")[..8];
        Guid StartingWithShared() => Guid.ParseExact(shared + Guid.NewGuid().ToString("N")[8..], "N");
        var first = await pipeline.BeginAsync("ftp://example.invalid/dataset.zip", o => o.TrainingId = StartingWithShared());
        var second = await pipeline.BeginAsync("ftp://example.invalid/dataset.zip", o => o.TrainingId = StartingWithShared());
        await pipeline.WaitForStateAsync(first, Timeout, "Failed");
        await pipeline.WaitForStateAsync(second, Timeout, "Failed");

        var (oneCode, one) = await PipelineCommand.RunAsync(pipeline, "show", first.ToString()[..13]);
        var (severalCode, several) = await PipelineCommand.RunAsync(pipeline, "watch", shared);
        var (noneCode, none) = await PipelineCommand.RunAsync(pipeline, "cancel", Guid.NewGuid().ToString("N")[..12]);
        using var malformed = await pipeline.Api.GetAsync("trainings?idPrefix=e2e%25");

        Assert.True(oneCode == 0, one);
        Assert.Contains($"training {first}", one);
        Assert.True(severalCode == ExitCodes.Usage, several);
        Assert.Contains(first.ToString(), several);
        Assert.Contains(second.ToString(), several);
        Assert.True(noneCode == ExitCodes.NotFound, none);
        Assert.Contains("no training id starts with", none);
        // Another client of the API gets the same refusal the command line gives before it asks.
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("'e2e%' is not the start of a training id", await malformed.Content.ReadAsStringAsync());
    }

    private async Task<(Guid TrainingId, TrainingDetails Training)> CompletedTraining(string project = "shapes")
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"cli-{Guid.NewGuid():N}"))).AbsoluteUri;
        var trainingId = await pipeline.BeginAsync(dataset, o => o.Project = project);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed");
        Assert.Equal("Completed", training.State);
        return (trainingId, training);
    }
}
