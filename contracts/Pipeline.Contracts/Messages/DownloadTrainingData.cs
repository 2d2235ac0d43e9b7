namespace Pipeline.Contracts;

public sealed record DownloadTrainingData
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required string DatasetUri { get; init; }
    public DatasetFormat DatasetFormat { get; init; }
    public string? DatasetSha256 { get; init; }
    public string? TestDatasetUri { get; init; }
    public string? TestDatasetSha256 { get; init; }

    /// <summary>BeginTraining's <see cref="BeginTraining.ImagesFolder"/>.</summary>
    public string? ImagesFolder { get; init; }
    public IReadOnlyList<Category> Categories { get; init; } = [];
    public DetectionScope DetectOn { get; init; }

    /// <summary>The training's project, whose inbox <see cref="IncludeInbox"/> reads.</summary>
    public string Organization { get; init; } = "";

    public string Project { get; init; } = "";

    /// <summary>Adds the project's complete inbox items to the train split.</summary>
    public bool IncludeInbox { get; init; }
}
