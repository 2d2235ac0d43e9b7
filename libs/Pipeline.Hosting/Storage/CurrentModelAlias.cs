using Marten;
using Marten.Schema;
using Pipeline.Contracts;

namespace Pipeline.Hosting.Storage;

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

    /// <summary>The project's current model, or null when it has none yet.</summary>
    public static async Task<ModelVersion?> FindCurrentAsync(IQuerySession session, string organization, string project, CancellationToken cancellationToken)
    {
        var alias = await session.LoadAsync<CurrentModelAlias>(IdFor(organization, project), cancellationToken);
        return alias is null ? null : await session.LoadAsync<ModelVersion>(alias.ModelId, cancellationToken);
    }
}
