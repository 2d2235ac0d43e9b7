using Marten;
using Marten.Schema;
using Pipeline.Contracts;

namespace Pipeline.Registry;

/// <summary>
/// A project's <c>current</c> alias (MLflow's champion): the model a detector node that follows the project loads. Moved
/// by the Uploader only, in the same transaction as the ModelVersions' IsCurrent flags and the ModelPromoted it
/// announces; optimistic concurrency makes two promotions that read the same alias unable to both commit.
/// </summary>
public sealed class CurrentModelAlias
{
    /// <summary><c>{organization}/{project}</c>.</summary>
    public required string Id { get; set; }

    public required Guid ModelId { get; set; }

    [Version]
    public Guid Revision { get; set; }

    public static string IdFor(string organization, string project) => $"{organization}/{project}";

    /// <summary>
    /// The project's current model, or null when it has none yet. Read through the ModelVersions' IsCurrent flag, which
    /// moves in the alias's own transaction: a reader (the Orchestrator, whose role may only read the versions) never
    /// touches the alias's table.
    /// </summary>
    public static Task<ModelVersion?> FindCurrentAsync(IQuerySession session, string organization, string project, CancellationToken cancellationToken) =>
        session.Query<ModelVersion>()
            .Where(model => model.Organization == organization && model.Project == project && model.IsCurrent)
            .FirstOrDefaultAsync(cancellationToken);
}
