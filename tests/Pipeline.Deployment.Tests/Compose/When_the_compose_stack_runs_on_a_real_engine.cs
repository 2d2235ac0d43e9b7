using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Pipeline.Deployment.Tests.Compose;

/// <summary>
/// <c>scripts/compose.sh demo</c> on a real Docker engine, as a user runs it on a fresh machine: the engine, the images
/// from services/Dockerfile (on stand-in base images made from Debian's packages, since no registry answers here), every
/// service and both servers in containers of their own, four Detectors, and a training through every stage to Completed.
/// Then two faults that exist only there: the Trainer's container stopped by the engine in the middle of a training, and
/// a Detector's container cut off the network for a minute while it detects.
/// scripts/test.sh runs this class after the rest of the suite, alone (Category=Engine): it builds images and trains.
/// </summary>
[Trait("Category", "Engine")]
public sealed class When_the_compose_stack_runs_on_a_real_engine(ComposeStack stack, ITestOutputHelper output) : IClassFixture<ComposeStack>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_demo_trains_to_Completed_with_a_container_per_service_and_the_Detectors_share_its_batches()
    {
        output.WriteLine($"scripts/compose.sh demo: {stack.DemoTime:mm\\:ss}\n{stack.DemoOutput}");
        var trainingId = ComposeStack.TrainingIdIn(stack.DemoOutput);
        Assert.Equal("Completed", (await stack.TrainingAsync(trainingId))["state"]!.GetValue<string>());

        var running = stack.Compose("ps", "--services", "--filter", "status=running").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["detector", "detectornode", "downloader", "orchestrator", "postgres", "rabbitmq", "trainer", "uploader"], running.Order());
        var detectors = stack.Containers("detector");
        Assert.Equal(ComposeStack.Detectors, detectors.Length);

        // Every batch detected once, and by more than one Detector.
        var batchesPerDetector = detectors.Select(container => Regex.Matches(
                stack.RunToEnd("docker", "logs", container), $@"Detected batch (\d+) of (\d+) of {trainingId}")
            .Select(m => (Index: int.Parse(m.Groups[1].Value), Count: int.Parse(m.Groups[2].Value))).ToList()).ToList();
        var batches = batchesPerDetector.SelectMany(b => b).ToList();
        output.WriteLine($"batches per Detector: {string.Join(", ", batchesPerDetector.Select(b => b.Count))}");
        Assert.NotEmpty(batches);
        Assert.Equal(Enumerable.Range(0, batches[0].Count), batches.Select(b => b.Index).Order());
        Assert.True(batchesPerDetector.Count(b => b.Count > 0) > 1, "one Detector detected every batch: the queue was not shared.");
    }

    [Fact]
    public async Task The_dashboard_answers_the_host_on_the_published_port()
    {
        using var http = new HttpClient();
        var login = await http.GetAsync($"http://127.0.0.1:{stack.Environment["STATUS_API_PORT"]}/login");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("<form", await login.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_Trainer_container_stopped_mid_training_checkpoints_and_on_its_start_resumes_it_to_Completed()
    {
        var trainer = Assert.Single(stack.Containers("trainer"));
        var id = ComposeStack.TrainingIdIn(stack.Script("pipeline", "begin", stack.Manifest, "--iterations", "400", "--org", "demo", "--project", "stopped"));
        await UntilAsync(id, training => training["training"]?["progress"]?["iteration"]?.GetValue<int>() >= 40, "past iteration 40");

        // The engine's stop: SIGTERM, then up to the compose file's 60 s grace.
        stack.RunToEnd("docker", "stop", trainer);
        Assert.Matches($"Training {id} checkpointed at iteration \\d+", stack.RunToEnd("docker", "logs", trainer));
        stack.RunToEnd("docker", "start", trainer);
        var completed = await UntilAsync(id, training => training["state"]!.GetValue<string>() is "Completed" or "Failed", "ended");

        Assert.Equal("Completed", completed["state"]!.GetValue<string>());
        Assert.Matches($"Resuming training {id} from its checkpoint at iteration \\d+", stack.RunToEnd("docker", "logs", trainer));
        // Registered once: its project's first model.
        Assert.Equal(1, completed["model"]!["version"]!.GetValue<int>());
        Assert.Empty(await stack.ErrorQueuesHoldingMessagesAsync());
    }

    [Fact]
    public async Task A_Detector_cut_off_the_network_for_60_s_in_its_stage_loses_no_batch_and_rejoins()
    {
        var cut = TimeSpan.FromSeconds(60);
        var detector = stack.Containers("detector")[0];
        var network = stack.Environment["COMPOSE_PROJECT_NAME"] + "_default";
        var id = ComposeStack.TrainingIdIn(stack.Script("pipeline", "begin", stack.Manifest, "--iterations", "50", "--org", "demo", "--project", "cut"));
        await UntilAsync(id, training => training["state"]!.GetValue<string>() == "Detecting", "detecting");

        stack.RunToEnd("docker", "network", "disconnect", network, detector);
        var sinceCut = Stopwatch.StartNew();
        var reconnected = Task.Run(async () =>
        {
            await Task.Delay(cut);
            stack.RunToEnd("docker", "network", "connect", network, detector);
        });
        var ended = await UntilAsync(id, training => training["state"]!.GetValue<string>() is "Completed" or "Failed", "ended");
        output.WriteLine($"{ended["state"]} {sinceCut.Elapsed.TotalSeconds:0} s after the cut");
        await reconnected;

        Assert.Equal("Completed", ended["state"]!.GetValue<string>());
        var detection = ended["detection"]!;
        Assert.Equal(detection["batchCount"]!.GetValue<int>(), detection["batchesDetected"]!.GetValue<int>());
        Assert.Equal(1, ended["model"]!["version"]!.GetValue<int>());
        // The Detector back on the network takes its share again: the stage queue has every Detector as its consumer.
        var deadline = DateTime.UtcNow + Patience;
        while (await stack.ConsumersAsync("detect-images") < ComposeStack.Detectors)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the detect-images queue has fewer than {ComposeStack.Detectors} consumers {Patience} after the network came back.");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        output.WriteLine($"every Detector consuming again {sinceCut.Elapsed.TotalSeconds:0} s after the cut");
        Assert.Empty(await stack.ErrorQueuesHoldingMessagesAsync());
    }

    private async Task<JsonNode> UntilAsync(Guid id, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            JsonNode? training = null;
            try
            {
                training = await stack.TrainingAsync(id);
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Begun, not yet seen by the saga.
            }

            if (training is not null && condition(training))
            {
                return training;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"training {id} not {what} after {Patience}: {training?.ToJsonString() ?? "not found"}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
