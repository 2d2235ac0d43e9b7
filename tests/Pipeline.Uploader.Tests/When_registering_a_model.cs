using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Uploader.Registry;

namespace Pipeline.Uploader.Tests;

[Collection(PostgresCollection.Name)]
public sealed class When_registering_a_model(PostgresFixture postgres) : IDisposable
{
    private readonly ScratchStore scratch = new();
    private readonly string project = "project-" + Guid.NewGuid().ToString("N")[..8];

    private ModelRegistrar Registrar => new(postgres.Store, scratch.Store, postgres.Outbox, postgres.Delivery, TimeProvider.System, NullLogger<ModelRegistrar>.Instance);

    [Fact]
    public async Task Registration_copies_the_files_and_writes_version_1()
    {
        var trainingId = Guid.NewGuid();
        var description = await scratch.WriteTrainedModelAsync(trainingId);

        var model = await Registrar.RegisterAsync(ScratchStore.Command(trainingId, project), Guid.NewGuid(), CancellationToken.None);

        Assert.Equal(1, model.Version);
        Assert.Equal(ArtifactKeys.RegisteredModel(model.Id), model.ModelKey);
        Assert.All(description.Files, file => Assert.True(scratch.Store.Exists($"{model.ModelKey}/{file.Name}")));
        Assert.True(scratch.Store.Exists(ModelArtifacts.DescriptionKey(model.ModelKey)));
        await using var query = postgres.Store.QuerySession();
        var stored = await query.LoadAsync<ModelVersion>(model.Id);
        Assert.NotNull(stored);
        Assert.Equal((trainingId, "acme", project, 1), (stored.TrainingId, stored.Organization, stored.Project, stored.Version));
        Assert.Equal(description.Files.Select(file => file.Sha256), stored.Files.Select(file => file.Sha256));
        Assert.Equal(0.7, stored.Metrics.MeanAveragePrecision);
        // The registry's record of the registered model.json, which every later load is checked against.
        Assert.Equal((await scratch.Store.DescribeAsync(ModelArtifacts.DescriptionKey(model.ModelKey))).Sha256, stored.DescriptionSha256);
    }

    [Fact]
    public async Task Twenty_concurrent_registrations_in_one_project_take_versions_1_to_20()
    {
        var trainings = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (trainingId, index) in trainings.Select((id, index) => (id, index)))
        {
            await scratch.WriteTrainedModelAsync(trainingId, weights: $"weights {index}");
        }

        var models = await Task.WhenAll(trainings.Select(trainingId =>
            Task.Run(() => Registrar.RegisterAsync(ScratchStore.Command(trainingId, project), Guid.NewGuid(), CancellationToken.None))));

        Assert.Equal(Enumerable.Range(1, 20), models.Select(model => model.Version).Order());
        await using var query = postgres.Store.QuerySession();
        var stored = await query.Query<ModelVersion>().Where(model => model.Project == project).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 20), stored.Select(model => model.Version).Order());
    }

    [Fact]
    public async Task Copies_of_one_UploadModel_at_once_register_one_version_with_verified_files_and_no_staging_folder_left()
    {
        var trainingId = Guid.NewGuid();
        var description = await scratch.WriteTrainedModelAsync(trainingId);

        // The watchdog's re-send, a replay and the original, all running together.
        var models = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => Registrar.RegisterAsync(ScratchStore.Command(trainingId, project), Guid.NewGuid(), CancellationToken.None))));

        Assert.Single(models.Select(model => (model.Id, model.Version)).Distinct());
        await using var query = postgres.Store.QuerySession();
        Assert.Single(await query.Query<ModelVersion>().Where(model => model.TrainingId == trainingId).ToListAsync());
        foreach (var file in description.Files)
        {
            Assert.Equal(file.Sha256, (await scratch.Store.DescribeAsync($"{models[0].ModelKey}/{file.Name}")).Sha256);
        }

        Assert.DoesNotContain(scratch.Store.List("models"), key => key.Contains(".staging-"));
    }

    [Fact]
    public async Task A_redelivered_UploadModel_returns_the_registered_model_and_announces_it_once()
    {
        var trainingId = Guid.NewGuid();
        await scratch.WriteTrainedModelAsync(trainingId);
        var command = ScratchStore.Command(trainingId, project);

        var messageId = Guid.NewGuid();

        var first = await Registrar.RegisterAsync(command, messageId, CancellationToken.None);
        var again = await Registrar.RegisterAsync(command, messageId, CancellationToken.None);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Registrar.RegisterAsync(command, messageId, CancellationToken.None)));

        Assert.Equal((first.Id, first.Version), (again.Id, again.Version));
        Assert.All(concurrent, model => Assert.Equal(first.Id, model.Id));
        await using var query = postgres.Store.QuerySession();
        Assert.Equal(1, await query.Query<ModelVersion>().CountAsync(model => model.Project == project));
        var announced = Assert.Single(await postgres.OutboxMessagesAsync<ModelUploaded>(trainingId));
        Assert.Equal((first.Id, first.Version), (announced.ModelId, announced.Version));
        // The registry's record of model.json travels on, for the Detector to check the model against.
        Assert.Equal((first.DescriptionSha256, 64), (announced.DescriptionSha256, announced.DescriptionSha256?.Length));
    }

    [Fact]
    public async Task A_retried_training_uploading_the_same_model_is_announced_again_with_its_attempt()
    {
        var trainingId = Guid.NewGuid();
        await scratch.WriteTrainedModelAsync(trainingId);
        var command = ScratchStore.Command(trainingId, project);

        var first = await Registrar.RegisterAsync(command, Guid.NewGuid(), CancellationToken.None);
        var retried = await Registrar.RegisterAsync(command with { Attempt = command.Attempt + 1 }, Guid.NewGuid(), CancellationToken.None);

        Assert.Equal((first.Id, first.Version), (retried.Id, retried.Version));
        var announced = await postgres.OutboxMessagesAsync<ModelUploaded>(trainingId);
        Assert.Equal(2, announced.Count);
        Assert.Equal([command.Attempt, command.Attempt + 1], announced.Select(message => message.Attempt));
    }

    [Fact]
    public async Task A_tampered_model_file_is_refused_naming_the_file()
    {
        var trainingId = Guid.NewGuid();
        await scratch.WriteTrainedModelAsync(trainingId);
        await scratch.Store.WriteAsync($"{ArtifactKeys.TrainedModel(trainingId, 1)}/weights.bin", new MemoryStream("tampered"u8.ToArray()));

        var refusal = await Assert.ThrowsAsync<StageInputException>(() =>
            Registrar.RegisterAsync(ScratchStore.Command(trainingId, project), Guid.NewGuid(), CancellationToken.None));

        Assert.Contains("'weights.bin'", refusal.Message);
        await using var query = postgres.Store.QuerySession();
        Assert.Equal(0, await query.Query<ModelVersion>().CountAsync(model => model.Project == project));
    }

    [Fact]
    public async Task A_model_folder_without_model_json_is_refused()
    {
        var refusal = await Assert.ThrowsAsync<StageInputException>(() =>
            Registrar.RegisterAsync(ScratchStore.Command(Guid.NewGuid(), project), Guid.NewGuid(), CancellationToken.None));

        Assert.Contains("model.json", refusal.Message);
    }

    public void Dispose() => scratch.Dispose();
}
