using Marten;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Storage;
using Pipeline.Outbox;

namespace Pipeline.Uploader.Registry;

/// <summary>
/// A user's override (<c>pipeline promote</c>): the model becomes its project's current one whatever the metrics, the
/// override recorded as its promotion's reason. The alias, the flags, the ModelPromoted and the command's inbox row
/// commit in one transaction: a redelivered PromoteModel changes nothing and announces nothing again.
/// </summary>
public sealed class ModelPromoter(IDocumentStore documents, OutboxStore outbox, OutboxDelivery delivery, TimeProvider clock, ILogger<ModelPromoter> logger)
{
    /// <summary>The inbox's name for this consumer.</summary>
    public const string Consumer = StageQueues.PromoteModel;

    private const int MaxConflicts = 100;

    /// <returns>The promoted model as stored now.</returns>
    public async Task<ModelVersion> PromoteAsync(PromoteModel command, Guid messageId, CancellationToken cancellationToken)
    {
        await outbox.EnsureCreatedAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            await using var session = documents.LightweightSession();
            var model = await session.LoadAsync<ModelVersion>(command.ModelId, cancellationToken)
                ?? throw new StageInputException($"No registered model has id {command.ModelId}: 'pipeline models' lists them.");
            if (await outbox.WasConsumedAsync(Consumer, messageId, cancellationToken))
            {
                return model;
            }

            var (alias, current) = await CurrentModelMove.ReadAsync(session, model.Organization, model.Project, cancellationToken);
            var reason = string.IsNullOrWhiteSpace(command.Reason) ? "no reason given" : command.Reason.Trim();
            model = model with
            {
                IsCurrent = true,
                Promotion = new PromotionDecision
                {
                    Promoted = true, Overridden = true, DecidedAt = clock.GetUtcNow(),
                    Reason = $"promoted by a user, whatever the metrics: {reason}",
                    ComparedWithModelId = current?.Id, ComparedWithVersion = current?.Version,
                },
            };
            session.Store(model);
            var announcement = new OutboxBuffer();
            announcement.Publish(CurrentModelMove.Stage(session, alias, current, model));
            outbox.Write(session, announcement, Consumer, messageId);
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                delivery.Committed(announcement);
                logger.LogInformation("Version {Version} of {Organization}/{Project} is current by a user's override ({Reason})",
                    model.Version, model.Organization, model.Project, reason);
                return model;
            }
            catch (Exception e) when (WriteConflicts.IsConflict(e) && attempt < MaxConflicts)
            {
                logger.LogDebug("The current model of {Organization}/{Project} moved concurrently; promoting again", model.Organization, model.Project);
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken);
            }
        }
    }
}
