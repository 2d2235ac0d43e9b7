namespace Pipeline.Artifacts;

public sealed class ArtifactStoreSettings
{
    public const string Section = "Artifacts";

    /// <summary>The store's root folder: a shared volume in docker-compose, a folder beside the repository locally.</summary>
    public string Root { get; set; } = DefaultRoot;

    public static string DefaultRoot => Path.Combine(Path.GetTempPath(), "pipeline-artifacts");
}
