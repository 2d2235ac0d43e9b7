using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Registry;
using Pipeline.Uploader.Registry;

namespace Pipeline.Uploader.Tests;

/// <summary>
/// The project's current alias on a real PostgreSQL: moved only to a model that beats the current one on the new
/// training's test split (the Trainer's figure for the current model rides on UploadModel), or by a user's override.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class When_promoting_models(PostgresFixture postgres) : IDisposable
{
    private readonly ScratchStore scratch = new();
    private readonly string project = "project-" + Guid.NewGuid().ToString("N")[..8];

    private ModelRegistrar Registrar => new(postgres.Store, scratch.Store, postgres.Outbox, postgres.Delivery, TimeProvider.System, NullLogger<ModelRegistrar>.Instance);

    private ModelPromoter Promoter => new(postgres.Store, postgres.Outbox, postgres.Delivery, TimeProvider.System, NullLogger<ModelPromoter>.Instance);

    [Fact]
    public async Task The_first_model_of_a_project_becomes_current_and_is_announced()
    {
        var first = await RegisterAsync(0.5, against: null);

        Assert.True(first.IsCurrent);
        Assert.True(first.Promotion!.Promoted);
        Assert.Contains("first model", first.Promotion.Reason);
        Assert.Equal(first.Id, (await CurrentAsync())!.Id);
        var announced = Assert.Single(await PromotionsAsync());
        Assert.Equal((first.Id, first.Version, first.ModelKey, "acme"), (announced.ModelId, announced.Version, announced.ModelKey, announced.Organization));
        Assert.Equal(first.Promotion.Reason, announced.Reason);
    }

    [Fact]
    public async Task A_model_that_beats_the_current_one_on_the_same_split_is_promoted_with_its_reason()
    {
        var first = await RegisterAsync(0.5, against: null);

        var better = await RegisterAsync(0.8, against: Evaluated(first, 0.6));

        Assert.True(better.IsCurrent);
        Assert.Equal("mAP@0.5 0.800 beats version 1's 0.600 on this training's test split", better.Promotion!.Reason);
        Assert.Equal((first.Id, 1, 0.6), (better.Promotion.ComparedWithModelId!.Value, better.Promotion.ComparedWithVersion!.Value,
            better.Promotion.ComparedMeanAveragePrecision!.Value));
        Assert.Equal(better.Id, (await CurrentAsync())!.Id);
        Assert.False((await LoadAsync(first.Id)).IsCurrent);
        Assert.Equal([first.Id, better.Id], (await PromotionsAsync()).Select(promoted => promoted.ModelId));
    }

    [Fact]
    public async Task A_model_that_does_not_beat_the_current_one_is_registered_but_not_promoted_and_says_why()
    {
        var first = await RegisterAsync(0.5, against: null);

        // Its own 0.7 is higher than the first model's registered 0.5, but on this training's split the first scores 0.75.
        var worse = await RegisterAsync(0.7, against: Evaluated(first, 0.75));

        Assert.Equal(2, worse.Version);
        Assert.False(worse.IsCurrent);
        Assert.False(worse.Promotion!.Promoted);
        Assert.Equal("mAP@0.5 0.700 does not beat version 1's 0.750 on this training's test split", worse.Promotion.Reason);
        Assert.Equal(first.Id, (await CurrentAsync())!.Id);
        Assert.True((await LoadAsync(first.Id)).IsCurrent);
        Assert.Single(await PromotionsAsync());
    }

    [Fact]
    public async Task A_comparison_with_a_model_that_is_no_longer_current_does_not_promote()
    {
        var first = await RegisterAsync(0.5, against: null);
        var second = await RegisterAsync(0.8, against: Evaluated(first, 0.6));

        // Started while the first was current; the second became current while it trained.
        var late = await RegisterAsync(0.9, against: Evaluated(first, 0.6));

        Assert.False(late.IsCurrent);
        Assert.Contains("not compared with version 2", late.Promotion!.Reason);
        Assert.Equal(second.Id, (await CurrentAsync())!.Id);
    }

    [Fact]
    public async Task A_current_model_that_could_not_be_evaluated_keeps_its_place_and_the_reason_says_so()
    {
        var first = await RegisterAsync(0.5, against: null);

        var other = await RegisterAsync(0.9, against: new CurrentModelEvaluation
        {
            ModelId = first.Id, Version = first.Version, NotComparable = "its categories (1) are not this training's (1, 2)",
        });

        Assert.False(other.IsCurrent);
        Assert.Contains("could not be evaluated", other.Promotion!.Reason);
        Assert.Contains("its categories (1) are not this training's (1, 2)", other.Promotion.Reason);
    }

    [Fact]
    public async Task A_redelivered_UploadModel_promotes_once_and_publishes_one_ModelPromoted()
    {
        var first = await RegisterAsync(0.5, against: null);
        var trainingId = Guid.NewGuid();
        await scratch.WriteTrainedModelAsync(trainingId, weights: "better");
        var command = ScratchStore.Command(trainingId, project) with
        {
            Metrics = new TrainingMetrics { MeanAveragePrecision = 0.8 }, CurrentModel = Evaluated(first, 0.6),
        };
        var messageId = Guid.NewGuid();

        var registered = await Registrar.RegisterAsync(command, messageId, CancellationToken.None);
        await Registrar.RegisterAsync(command, messageId, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Registrar.RegisterAsync(command, messageId, CancellationToken.None)));
        // A retried stage sends a new message: announced again for the saga, but decided and promoted only once.
        await Registrar.RegisterAsync(command with { Attempt = 2 }, Guid.NewGuid(), CancellationToken.None);

        Assert.Equal([first.Id, registered.Id], (await PromotionsAsync()).Select(promoted => promoted.ModelId));
        Assert.Equal(registered.Promotion, (await LoadAsync(registered.Id)).Promotion);
        Assert.Equal(registered.Id, (await CurrentAsync())!.Id);
    }

    [Fact]
    public async Task Promote_overrides_the_metrics_records_the_override_and_publishes_once()
    {
        var first = await RegisterAsync(0.5, against: null);
        var worse = await RegisterAsync(0.3, against: Evaluated(first, 0.5));
        var command = new PromoteModel { ModelId = worse.Id, Reason = "the field images look better" };
        var messageId = Guid.NewGuid();

        var promoted = await Promoter.PromoteAsync(command, messageId, CancellationToken.None);
        await Promoter.PromoteAsync(command, messageId, CancellationToken.None);

        Assert.True(promoted.IsCurrent);
        Assert.True(promoted.Promotion!.Overridden);
        Assert.Equal("promoted by a user, whatever the metrics: the field images look better", promoted.Promotion.Reason);
        Assert.Equal(first.Id, promoted.Promotion.ComparedWithModelId);
        Assert.Equal(worse.Id, (await CurrentAsync())!.Id);
        Assert.False((await LoadAsync(first.Id)).IsCurrent);
        var announced = await PromotionsAsync();
        Assert.Equal([first.Id, worse.Id], announced.Select(message => message.ModelId));
        Assert.Equal(promoted.Promotion.Reason, announced[1].Reason);
    }

    private async Task<ModelVersion> RegisterAsync(double meanAveragePrecision, CurrentModelEvaluation? against)
    {
        var trainingId = Guid.NewGuid();
        await scratch.WriteTrainedModelAsync(trainingId, weights: $"weights {trainingId}");
        var command = ScratchStore.Command(trainingId, project) with
        {
            Metrics = new TrainingMetrics { Iteration = 10, MeanAveragePrecision = meanAveragePrecision }, CurrentModel = against,
        };
        return await Registrar.RegisterAsync(command, Guid.NewGuid(), CancellationToken.None);
    }

    private static CurrentModelEvaluation Evaluated(ModelVersion model, double meanAveragePrecision) =>
        new() { ModelId = model.Id, Version = model.Version, MeanAveragePrecision = meanAveragePrecision };

    private async Task<ModelVersion?> CurrentAsync()
    {
        await using var query = postgres.Store.QuerySession();
        return await CurrentModelAlias.FindCurrentAsync(query, "acme", project, CancellationToken.None);
    }

    private async Task<ModelVersion> LoadAsync(Guid modelId)
    {
        await using var query = postgres.Store.QuerySession();
        return (await query.LoadAsync<ModelVersion>(modelId))!;
    }

    private Task<IReadOnlyList<ModelPromoted>> PromotionsAsync() => postgres.OutboxMessagesAsync<ModelPromoted>("Project", project);

    public void Dispose() => scratch.Dispose();
}
