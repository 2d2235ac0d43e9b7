using Marten;
using Pipeline.Contracts;

namespace Pipeline.Registry;

/// <summary>
/// The registry as others read it (the Orchestrator's status API and its dispatch of TrainModel): versions and each
/// project's current model, never the documents' tables themselves, so the Uploader may change how it stores them.
/// </summary>
public sealed class ModelRegistryReader(IDocumentStore store)
{
    /// <summary>The registered versions, newest first, of one organization or project when named.</summary>
    public async Task<IReadOnlyList<ModelVersion>> ListAsync(string? organization, string? project, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var query = session.Query<ModelVersion>().AsQueryable();
        if (!string.IsNullOrWhiteSpace(organization))
        {
            query = query.Where(x => x.Organization == organization);
        }

        if (!string.IsNullOrWhiteSpace(project))
        {
            query = query.Where(x => x.Project == project);
        }

        return await query.OrderByDescending(x => x.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>One registered model, or null when no model has that id.</summary>
    public async Task<ModelVersion?> FindAsync(Guid modelId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<ModelVersion>(modelId, cancellationToken);
    }

    /// <summary>The project's current model, or null when it has none yet.</summary>
    public async Task<ModelVersion?> FindCurrentAsync(string organization, string project, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await CurrentModelAlias.FindCurrentAsync(session, organization, project, cancellationToken);
    }
}
