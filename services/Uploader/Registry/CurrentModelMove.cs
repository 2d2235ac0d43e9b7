using Marten;
using Pipeline.Contracts;
using Pipeline.Registry;

namespace Pipeline.Uploader.Registry;

/// <summary>
/// Moving a project's current alias, written once for a registration that promotes and for a user's override: the alias,
/// both models' IsCurrent flags and the ModelPromoted that announces it are queued into one session, so they commit
/// together or not at all.
/// </summary>
public static class CurrentModelMove
{
    /// <summary>The alias and the model it names now (null when the project has no current model yet).</summary>
    public static async Task<(CurrentModelAlias? Alias, ModelVersion? Current)> ReadAsync(
        IDocumentSession session, string organization, string project, CancellationToken cancellationToken)
    {
        var alias = await session.LoadAsync<CurrentModelAlias>(CurrentModelAlias.IdFor(organization, project), cancellationToken);
        return (alias, alias is null ? null : await session.LoadAsync<ModelVersion>(alias.ModelId, cancellationToken));
    }

    /// <summary>Queues the move into <paramref name="session"/> (the caller stores <paramref name="next"/> itself) and returns the announcement.</summary>
    public static ModelPromoted Stage(IDocumentSession session, CurrentModelAlias? alias, ModelVersion? previous, ModelVersion next)
    {
        if (alias is null)
        {
            // Two first models at once both insert: one loses on the key and reads again.
            session.Insert(new CurrentModelAlias { Id = CurrentModelAlias.IdFor(next.Organization, next.Project), ModelId = next.Id });
        }
        else
        {
            // Checked against the revision read: a concurrent move makes this one conflict and decide again.
            alias.ModelId = next.Id;
            session.Store(alias);
        }

        if (previous is not null && previous.Id != next.Id)
        {
            session.Store(previous with { IsCurrent = false });
        }

        return new ModelPromoted
        {
            Organization = next.Organization, Project = next.Project, ModelId = next.Id, Version = next.Version, ModelKey = next.ModelKey, DescriptionSha256 = next.DescriptionSha256,
            Reason = next.Promotion?.Reason ?? "promoted", PromotedAt = next.Promotion?.DecidedAt ?? DateTimeOffset.UtcNow,
        };
    }
}
