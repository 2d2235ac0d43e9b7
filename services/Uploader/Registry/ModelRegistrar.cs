using System.Security.Cryptography;
using System.Text;
using Marten;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Storage;
using Pipeline.Outbox;

namespace Pipeline.Uploader.Registry;

/// <summary>
/// Registers a trained model: its files, checked against model.json, are copied to the registry folder and a
/// <see cref="ModelVersion"/> takes the project's next version number. The model's id is derived from the training
/// and the content of its model.json, so a redelivered (or retried) UploadModel for the same model finds the
/// registration it made before instead of registering twice. The version, its promotion decision (and, when promoted, the
/// project's current alias and a ModelPromoted), its ModelUploaded and the command's inbox row commit in one transaction:
/// a redelivered command neither registers, promotes nor announces twice.
/// </summary>
public sealed class ModelRegistrar(
    IDocumentStore documents, IArtifactStore store, OutboxStore outbox, OutboxDelivery delivery, TimeProvider clock, ILogger<ModelRegistrar> logger)
{
    /// <summary>The inbox's name for this consumer.</summary>
    public const string Consumer = StageQueues.UploadModel;

    private const int MaxConflicts = 100;

    /// <summary>Registers the model (or finds its registration) and commits the ModelUploaded that answers <paramref name="messageId"/>.</summary>
    public async Task<ModelVersion> RegisterAsync(UploadModel command, Guid messageId, CancellationToken cancellationToken)
    {
        await outbox.EnsureCreatedAsync(cancellationToken);
        var descriptionKey = ModelArtifacts.DescriptionKey(command.ModelKey);
        if (!store.Exists(descriptionKey))
        {
            throw new StageInputException($"Trained model at '{command.ModelKey}' has no {ModelDescription.FileName}.");
        }

        var modelId = ModelIdFor(command.TrainingId, (await store.DescribeAsync(descriptionKey, cancellationToken)).Sha256);
        await using (var query = documents.QuerySession())
        {
            if (await query.LoadAsync<ModelVersion>(modelId, cancellationToken) is { } registered)
            {
                logger.LogInformation("Model {ModelId} of {TrainingId} is already version {Version}", modelId, command.TrainingId, registered.Version);
                return await CommitAsync(command, messageId, modelId, registered.ModelKey, registered.Files, registered.DescriptionSha256, cancellationToken);
            }
        }

        // Copied and verified beside the registry, then renamed into place: a duplicate UploadModel running at the same
        // time never deletes or rewrites the files of a version another copy committed. The id comes from model.json's
        // hash, so whichever copy's folder is in place holds the same verified files.
        var modelKey = ArtifactKeys.RegisteredModel(modelId);
        var staging = $"{modelKey}.staging-{Guid.NewGuid():N}";
        var copied = await store.CopyVerifiedModelAsync(command.ModelKey, staging, cancellationToken: cancellationToken);
        if (!store.TryMoveFolder(staging, modelKey))
        {
            store.Delete(staging);
        }

        // The hash of the model.json copied (the bytes checked and written), which every later load is checked against.
        var model = await CommitAsync(command, messageId, modelId, modelKey, copied.Description.Files, copied.DescriptionSha256, cancellationToken);
        logger.LogInformation("Registered model {ModelId} as {Organization}/{Project} version {Version}",
            model.Id, model.Organization, model.Project, model.Version);
        return model;
    }

    /// <summary>
    /// Takes the next number and writes the document (unless registered already), the ModelUploaded and the inbox row in
    /// one transaction; a lost race reads again and retries.
    /// </summary>
    private async Task<ModelVersion> CommitAsync(
        UploadModel command, Guid messageId, Guid modelId, string modelKey, IReadOnlyList<ModelFile> files, string? descriptionSha256,
        CancellationToken cancellationToken)
    {
        var counterId = ProjectModelCounter.IdFor(command.Organization, command.Project);
        for (var attempt = 1; ; attempt++)
        {
            await using var session = documents.LightweightSession();
            var announcement = new OutboxBuffer();
            var model = await session.LoadAsync<ModelVersion>(modelId, cancellationToken);
            if (model is not null && await outbox.WasConsumedAsync(Consumer, messageId, cancellationToken))
            {
                // A copy of this command committed everything already; its ModelUploaded is in the outbox or delivered.
                return model;
            }

            if (model is null)
            {
                var counter = await session.LoadAsync<ProjectModelCounter>(counterId, cancellationToken);
                if (counter is null)
                {
                    counter = new ProjectModelCounter { Id = counterId, LastVersion = 1 };
                    session.Insert(counter);
                }
                else
                {
                    counter.LastVersion++;
                    session.Store(counter);
                }

                // Decided once, with the registration: a redelivered command finds the model and neither decides nor announces again.
                var (alias, current) = await CurrentModelMove.ReadAsync(session, command.Organization, command.Project, cancellationToken);
                var promotion = PromotionRules.Decide(command, current, clock.GetUtcNow());
                model = new ModelVersion
                {
                    Id = modelId, Organization = command.Organization, Project = command.Project, Version = counter.LastVersion,
                    TrainingId = command.TrainingId, ModelKey = modelKey, Categories = command.Categories, Metrics = command.Metrics,
                    Files = files, DescriptionSha256 = descriptionSha256, CreatedAt = clock.GetUtcNow(), IsCurrent = promotion.Promoted, Promotion = promotion,
                };
                session.Insert(model);
                if (promotion.Promoted)
                {
                    announcement.Publish(CurrentModelMove.Stage(session, alias, current, model));
                }
            }

            announcement.Publish(new ModelUploaded
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt, ModelId = model.Id, Version = model.Version, ModelKey = model.ModelKey,
                DescriptionSha256 = model.DescriptionSha256,
            });
            outbox.Write(session, announcement, Consumer, messageId);
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                delivery.Committed(announcement);
                return model;
            }
            catch (Exception e) when (WriteConflicts.IsConflict(e) && attempt < MaxConflicts)
            {
                logger.LogDebug("Version {Version} of {Project} was taken concurrently; retrying", model.Version, counterId);
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken);
            }
        }
    }

    /// <summary>A v5-style id: the same training and model.json always give the same model id.</summary>
    public static Guid ModelIdFor(Guid trainingId, string modelDescriptionSha256)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{trainingId:N}/{modelDescriptionSha256.ToLowerInvariant()}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
