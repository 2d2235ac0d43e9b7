namespace Pipeline.Cli.Runner;

/// <summary>One of the pipeline's services as the local runner builds and starts it.</summary>
public sealed record PipelineService(string Name, string Folder, string AssemblyName)
{
    public static readonly IReadOnlyList<PipelineService> All =
    [
        new("orchestrator", "Orchestrator", "Pipeline.Orchestrator"),
        new("downloader", "Downloader", "Pipeline.Downloader"),
        new("trainer", "Trainer", "Pipeline.Trainer"),
        new("detector", "Detector", "Pipeline.Detector"),
        new("uploader", "Uploader", "Pipeline.Uploader"),
    ];

    public static PipelineService? Find(string name) =>
        All.FirstOrDefault(service => service.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public string ProjectFolder(string root) => Path.Combine(root, "services", Folder);

    public string ProjectFile(string root) => Path.Combine(ProjectFolder(root), AssemblyName + ".csproj");

    public string OutputFolder(string root) => Path.Combine(ProjectFolder(root), "bin", "Release", "net10.0");

    public string OutputAssembly(string root) => Path.Combine(OutputFolder(root), AssemblyName + ".dll");

    public bool Exists(string root) => File.Exists(ProjectFile(root));
}
