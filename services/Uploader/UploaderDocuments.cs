using Marten;
using Pipeline.Contracts;
using Pipeline.Uploader.Detections;
using Pipeline.Uploader.Registry;
using Marten.Schema;

namespace Pipeline.Uploader;

/// <summary>The documents the Uploader owns in Marten, shared by Program.cs and the tests.</summary>
public static class UploaderDocuments
{
    public static void Configure(StoreOptions options)
    {
        options.Schema.For<ModelVersion>()
            .Identity(model => model.Id)
            .Index(model => model.Project)
            .Index(model => model.TrainingId)
            // The counter hands out versions; this index makes a duplicate impossible even if it were bypassed.
            .UniqueIndex(UniqueIndexType.Computed, "uq_model_version_per_project",
                model => model.Organization, model => model.Project, model => model.Version);
        options.Schema.For<ProjectModelCounter>().UseOptimisticConcurrency(true);
        options.Schema.For<StoredDetections>()
            .Index(detections => detections.TrainingId)
            .Index(detections => detections.ModelId);
    }
}
