using Marten;
using Marten.Schema;
using Pipeline.Contracts;

namespace Pipeline.Registry;

/// <summary>
/// The model registry's mapping, one for every service that touches it: the Uploader writes it, the
/// Orchestrator's status API reads it. Two mappings would let their schema updates fight over the indexes.
/// </summary>
public static class ModelRegistryDocuments
{
    public static void Configure(StoreOptions options)
    {
        options.Schema.For<CurrentModelAlias>().UseOptimisticConcurrency(true);
        options.Schema.For<ModelVersion>()
            .Identity(model => model.Id)
            .Index(model => model.Project)
            .Index(model => model.TrainingId)
            // The Uploader's counter hands out versions; this index makes a duplicate impossible even if it were bypassed.
            .UniqueIndex(UniqueIndexType.Computed, "uq_model_version_per_project",
                model => model.Organization, model => model.Project, model => model.Version);
    }
}
