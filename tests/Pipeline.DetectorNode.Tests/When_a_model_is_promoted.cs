using System.Collections.Concurrent;
using System.Net;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_a_model_is_promoted(NodeFixture fixture)
{
    [Fact]
    public async Task A_swap_under_concurrent_requests_fails_none_and_every_answer_names_the_version_it_used()
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 2, lastIsCurrent: false);
        fixture.StatusApi.Add(versions[0], makeCurrent: true);
        await using var node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(1);
        var answers = new ConcurrentBag<(HttpStatusCode Status, Guid ModelId, int Version)>();
        using var stop = new CancellationTokenSource();

        // Four clients send without pause until each has seen the new version answer at least twice.
        var clients = Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            var seenNew = 0;
            for (var i = 0; seenNew < 2 && !stop.IsCancellationRequested; i++)
            {
                using var response = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[(client + i) % fixture.Models.TestImages.Count]));
                var answer = response.IsSuccessStatusCode ? await NodeHost.ReadAsync<NodeDetections>(response) : null;
                answers.Add((response.StatusCode, answer?.ModelId ?? Guid.Empty, answer?.ModelVersion ?? 0));
                seenNew += answer?.ModelVersion == 2 ? 1 : 0;
            }
        })).ToList();
        await Eventually.TrueAsync(() => answers.Count >= 8, TimeSpan.FromSeconds(60), () => $"{answers.Count} answers before the promotion");

        await node.PublishAsync(ShapesModels.Promotion(versions[1]));
        stop.CancelAfter(TimeSpan.FromMinutes(2));
        await Task.WhenAll(clients);

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.All(answers, answer => Assert.Equal(versions[answer.Version - 1].Id, answer.ModelId));
        Assert.Contains(answers, answer => answer.Version == 1);
        Assert.True(answers.Count(answer => answer.Version == 2) >= 8, "each client saw version 2 twice");
        Assert.Equal(2, node.Models.Current?.Version);
    }

    [Fact]
    public async Task Every_node_of_the_project_gets_the_promotion_on_a_queue_of_its_own()
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 2, lastIsCurrent: false);
        fixture.StatusApi.Add(versions[0], makeCurrent: true);
        await using var first = await fixture.StartNodeAsync(organization, project);
        await using var second = await fixture.StartNodeAsync(organization, project, new Dictionary<string, string?> { ["DetectorNode:NodeName"] = $"test-{Guid.NewGuid():N}" });
        await first.WaitUntilServingAsync(1);
        await second.WaitUntilServingAsync(1);

        await first.PublishAsync(ShapesModels.Promotion(versions[1]));

        await first.WaitUntilServingAsync(2);
        await second.WaitUntilServingAsync(2);
    }

    [Fact]
    public async Task A_promotion_of_another_project_or_one_made_before_the_served_models_changes_nothing()
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 3, lastIsCurrent: false);
        fixture.StatusApi.Add(versions[1], makeCurrent: true);
        var (_, otherProject) = NodeFixture.NewProject();
        var other = fixture.Register(organization, otherProject, 3).Last();
        await using var node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(2);
        var consumed = PromotionsConsumed.On(node);

        // Version 3's promotion was made before version 2's and arrives late (redelivered): version 2 stays.
        var stale = ShapesModels.Promotion(versions[2], node.Models.Current!.PromotedAt!.Value.AddMinutes(-1));
        var elsewhere = ShapesModels.Promotion(other);
        await node.PublishAsync(stale);
        await node.PublishAsync(elsewhere);
        await consumed.WaitForAsync(stale);
        await consumed.WaitForAsync(elsewhere);

        Assert.Equal((versions[1].Id, 2), (node.Models.Current!.ModelId, node.Models.Current.Version));
    }

    [Fact]
    public async Task A_rollback_that_promotes_an_older_version_later_is_followed()
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 2);
        await using var node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(2);

        // What `pipeline promote <version 1>` announces: an older version, promoted after the served one.
        await node.PublishAsync(ShapesModels.Promotion(versions[0]));

        await node.WaitUntilServingAsync(1);
        Assert.Equal(versions[0].Id, node.Models.Current!.ModelId);
    }

    [Fact]
    public async Task A_pinned_node_loads_its_version_and_stays_on_it_through_promotions()
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 3);
        await using var node = await fixture.StartNodeAsync(organization, project, new Dictionary<string, string?> { ["DetectorNode:ModelVersion"] = "2" });
        await node.WaitUntilServingAsync(2);
        var consumed = PromotionsConsumed.On(node);

        var promoted = ShapesModels.Promotion(versions[2]);
        await node.PublishAsync(promoted);
        await consumed.WaitForAsync(promoted);

        var loaded = await NodeHost.ReadAsync<NodeModel>(await node.Client.GetAsync("/model"));
        Assert.Equal((versions[1].Id, 2, (int?)2), (loaded.ModelId, loaded.Version, loaded.PinnedVersion));
        using var response = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        Assert.Equal(2, (await NodeHost.ReadAsync<NodeDetections>(response)).ModelVersion);
    }

    [Fact]
    public async Task An_empty_ModelVersion_setting_as_docker_compose_passes_it_follows_the_current_model()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 2);

        await using var node = await fixture.StartNodeAsync(organization, project, new Dictionary<string, string?> { ["DetectorNode:ModelVersion"] = "" });

        await node.WaitUntilServingAsync(2);
        Assert.Null(node.Models.Current!.PinnedVersion);
    }

    /// <summary>
    /// Weights changed on the model volume: caught by the sha256 in the model.json beside them, or, when whoever changed
    /// them wrote a model.json that agrees, by the registry's record of the registered model.json.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_promoted_model_whose_files_were_changed_leaves_the_node_on_the_model_it_serves(bool modelJsonRewrittenToAgree)
    {
        var (organization, project) = NodeFixture.NewProject();
        var versions = fixture.Register(organization, project, 2, lastIsCurrent: false);
        fixture.StatusApi.Add(versions[0], makeCurrent: true);
        await using var node = await fixture.StartNodeAsync(organization, project);
        await node.WaitUntilServingAsync(1);
        var consumed = PromotionsConsumed.On(node);
        var folder = fixture.Models.Store.GetLocalPath(versions[1].ModelKey);
        var weights = Path.Combine(folder, Pipeline.Vision.Models.DetectorModel.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);
        if (modelJsonRewrittenToAgree)
        {
            var description = Pipeline.Vision.Models.DetectorModel.ReadDescription(folder);
            File.WriteAllText(Path.Combine(folder, ModelDescription.FileName), System.Text.Json.JsonSerializer.Serialize(
                description with { Files = [Pipeline.Vision.Models.FileHashes.Describe(folder, Pipeline.Vision.Models.DetectorModel.WeightsFile)] },
                ContractJson.Files));
            using (Pipeline.Vision.Models.DetectorModel.Load(folder))
            {
                // Without the registry's record it loads: the changed folder agrees with itself.
            }
        }

        var promoted = ShapesModels.Promotion(versions[1]);
        await node.PublishAsync(promoted);
        await consumed.WaitForAsync(promoted);

        Assert.Equal((versions[0].Id, 1), (node.Models.Current!.ModelId, node.Models.Current.Version));
        using var response = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        Assert.Equal(1, (await NodeHost.ReadAsync<NodeDetections>(response)).ModelVersion);
    }

    [Fact]
    public async Task A_status_API_that_does_not_answer_at_start_leaves_the_node_live_and_a_promotion_still_brings_the_model()
    {
        var (organization, project) = NodeFixture.NewProject();
        var first = fixture.Register(organization, project, 1, lastIsCurrent: false).Single();
        // A loopback port nobody listens on: connections are refused, as from a status API that is down.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var node = await NodeHost.StartAsync(fixture.Models.StoreRoot, new Uri($"http://127.0.0.1:{closed}/"), organization, project);

        using var live = await node.Client.GetAsync("/health/live");
        using var detect = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable), (live.StatusCode, detect.StatusCode));

        await node.PublishAsync(ShapesModels.Promotion(first));
        await node.WaitUntilServingAsync(1);
    }
}
