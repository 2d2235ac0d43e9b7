using Pipeline.Cli.Commands;
using Pipeline.Cli.Runner;
using Pipeline.Contracts;

namespace Pipeline.Cli.Tests;

public sealed class When_the_command_line_reads_its_arguments
{
    [Fact]
    public async Task Begin_with_a_dataset_path_that_does_not_exist_names_the_path_and_exits_with_the_usage_code()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-dataset-{Guid.NewGuid():N}", "manifest.json");

        var (exitCode, output) = await CliRun.RunAsync(null, "begin", missing);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains($"dataset '{missing}' does not exist", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Begin_without_a_dataset_prints_one_line_naming_the_missing_argument_and_exits_with_the_usage_code()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "begin");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("error: Command 'begin' is missing required argument 'dataset'.", output.TrimEnd());
    }

    [Theory]
    [InlineData("Name a parked message id")]
    [InlineData("not-a-guid", "is not a message id")]
    public async Task Outbox_retry_needs_one_parked_message_id_or_a_service(params string[] argumentsThenMessage)
    {
        var (exitCode, output) = await CliRun.RunAsync(null, ["outbox", "retry", .. argumentsThenMessage[..^1]]);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(argumentsThenMessage[^1], output);
    }

    [Theory]
    [InlineData("--format", "tfrecord", "--format 'tfrecord'")]
    [InlineData("--detect", "some", "--detect 'some'")]
    [InlineData("--base-model", "latest", "'latest' is not a model id")]
    [InlineData("--iterations", "0", "must be positive")]
    public async Task Begin_rejects_a_bad_option_with_a_clear_message(string option, string value, string expected)
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "begin", "https://example.org/data.zip", option, value);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(expected, output);
    }

    [Fact]
    public async Task An_id_that_cannot_start_a_training_id_is_a_usage_error_before_any_server_is_asked()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "show", "not-an-id");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("'not-an-id' is not a training id", output);
    }

    [Fact]
    public async Task List_with_an_unknown_state_is_a_usage_error_that_names_the_known_states()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "list", "--state", "Running");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--state 'Running' is not a state; one of: ", output);
        Assert.Contains("TrainingRunning", output);
    }

    [Fact]
    public async Task A_status_api_that_does_not_answer_is_named_with_the_command_that_starts_it()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "show", Guid.NewGuid().ToString(), "--api", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.ServerUnavailable, exitCode);
        Assert.Contains("status API at http://127.0.0.1:1/ does not answer", output);
        Assert.Contains("pipeline up", output);
    }

    [Fact]
    public async Task RabbitMQ_that_does_not_answer_is_named_with_the_command_that_starts_it()
    {
        var dataset = Path.GetTempFileName();
        try
        {
            var (exitCode, output) = await CliRun.RunAsync(
                new Dictionary<string, string> { ["PIPELINE_RABBITMQ_PORT"] = "1" }, "begin", dataset);

            Assert.Equal(ExitCodes.ServerUnavailable, exitCode);
            Assert.Contains("RabbitMQ at 127.0.0.1:1 does not answer", output);
            Assert.Contains("scripts/infra.sh up", output);
        }
        finally
        {
            File.Delete(dataset);
        }
    }

    [Fact]
    public void A_dataset_path_becomes_an_absolute_file_uri_and_a_url_stays_as_it_is()
    {
        var folder = Directory.CreateTempSubdirectory("cli-dataset-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "manifest.json"), "{}");

            Assert.Equal(new Uri(Path.Combine(folder.FullName, "manifest.json")).AbsoluteUri,
                BeginCommand.DatasetUri("manifest.json", folder.FullName));
            Assert.Equal(new Uri(folder.FullName).AbsoluteUri, BeginCommand.DatasetUri(folder.FullName, "/"));
            Assert.Equal("https://example.org/shapes.zip", BeginCommand.DatasetUri("https://example.org/shapes.zip", "/"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_dataset_in_the_folder_the_services_mount_elsewhere_becomes_the_uri_they_read_it_at()
    {
        var folder = Directory.CreateTempSubdirectory("cli-datasets-");
        try
        {
            Directory.CreateDirectory(Path.Combine(folder.FullName, "my shapes"));
            File.WriteAllText(Path.Combine(folder.FullName, "my shapes", "manifest.json"), "{}");
            var environment = new CliEnvironment(name => name switch
            {
                "PIPELINE_DATASETS_FOLDER" => folder.FullName,
                "PIPELINE_DATASETS_URI" => "file:///datasets",
                _ => null,
            }, "/");

            Assert.Equal("file:///datasets/my%20shapes/manifest.json",
                BeginCommand.DatasetUri(Path.Combine(folder.FullName, "my shapes", "manifest.json"), "/", environment.DatasetsMount));
            var outside = Assert.Throws<CliException>(() => BeginCommand.DatasetUri(Path.GetTempPath(), "/", environment.DatasetsMount));
            Assert.Contains("outside " + folder.FullName, outside.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_options_become_the_BeginTraining_message()
    {
        var id = Guid.NewGuid();
        var baseModel = Guid.NewGuid();
        var settings = new BeginSettings
        {
            Dataset = "https://example.org/coco.json", Iterations = 50, BatchSize = 4, LearningRate = 0.01, Resolution = 96,
            NoFlipRl = true, FlipUd = true, Format = "coco", Organization = "o", Project = "p", Detect = "test",
            TestDataset = "https://example.org/coco-val.json", IncludeInbox = true,
        };

        var command = BeginCommand.ToCommand(settings, id, baseModel, "/");

        Assert.Equal(id, command.TrainingId);
        Assert.Equal(("o", "p"), (command.Organization, command.Project));
        Assert.Equal(DatasetFormat.Coco, command.DatasetFormat);
        Assert.Equal(new Hyperparameters { Iterations = 50, BatchSize = 4, LearningRate = 0.01, Resolution = 96, FlipRl = false, FlipUd = true },
            command.Hyperparameters);
        Assert.Equal(baseModel, command.BaseModelId);
        Assert.Equal(DetectionScope.TestImages, command.DetectOn);
        Assert.Equal("https://example.org/coco-val.json", command.TestDatasetUri);
        Assert.True(command.IncludeInbox);
    }

    [Fact]
    public async Task Begin_takes_include_inbox_and_goes_on_to_send_it()
    {
        var dataset = Path.GetTempFileName();
        try
        {
            // Parsed and accepted: the command gets as far as the broker (absent on port 1), not a usage error.
            var (exitCode, output) = await CliRun.RunAsync(
                new Dictionary<string, string> { ["PIPELINE_RABBITMQ_PORT"] = "1" }, "begin", dataset, "--include-inbox");

            Assert.Equal(ExitCodes.ServerUnavailable, exitCode);
            Assert.Contains("RabbitMQ at 127.0.0.1:1 does not answer", output);
        }
        finally
        {
            File.Delete(dataset);
        }
    }

    [Fact]
    public async Task Promote_with_an_id_that_cannot_start_a_model_id_is_a_usage_error_before_any_server_is_asked()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "promote", "champion", "--reason", "looks better");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("'champion' is not a model id", output);
    }

    [Fact]
    public void Scale_sets_replicas_per_service_and_rejects_unknown_services()
    {
        var replicas = ScaleOption.Parse(["detector=3", "trainer=1,uploader=0"]);

        Assert.Equal(3, replicas["detector"]);
        Assert.Equal(1, replicas["trainer"]);
        Assert.Equal(0, replicas["uploader"]);
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => ScaleOption.Parse(["gpu=2"])).ExitCode);
        Assert.Throws<CliException>(() => ScaleOption.Parse(["orchestrator=2"]));
    }
}
