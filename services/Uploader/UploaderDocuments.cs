using Marten;
using Pipeline.Registry;
using Pipeline.Uploader.Detections;
using Pipeline.Uploader.Registry;

namespace Pipeline.Uploader;

/// <summary>The documents the Uploader owns in Marten, shared by Program.cs and the tests.</summary>
public static class UploaderDocuments
{
    public static void Configure(StoreOptions options)
    {
        ModelRegistryDocuments.Configure(options);
        options.Schema.For<ProjectModelCounter>().UseOptimisticConcurrency(true);
        options.Schema.For<StoredDetections>()
            .Index(detections => detections.TrainingId)
            .Index(detections => detections.ModelId);
    }
}
