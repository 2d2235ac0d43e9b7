namespace Pipeline.Contracts;

/// <summary>The one message a user publishes: train a detector on a dataset, register it, run it over the images.</summary>
public sealed record BeginTraining
{
    public required Guid TrainingId { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public int TrainingNumber { get; init; }

    /// <summary><c>file://</c> or <c>http(s)://</c>: a manifest, a COCO JSON, a directory holding one, or a .zip/.tar.gz holding one.</summary>
    public required string DatasetUri { get; init; }

    public DatasetFormat DatasetFormat { get; init; } = DatasetFormat.Manifest;

    /// <summary>Lowercase hex sha256 of the file at <see cref="DatasetUri"/>, checked when given.</summary>
    public string? DatasetSha256 { get; init; }

    /// <summary>
    /// A second dataset, in the same format, that is the test split (a COCO val set, say): with it, every image of
    /// <see cref="DatasetUri"/> is a train image. Null: the dataset's own test split, or a held-out share.
    /// </summary>
    public string? TestDatasetUri { get; init; }

    /// <summary>Lowercase hex sha256 of the file at <see cref="TestDatasetUri"/>, checked when given.</summary>
    public string? TestDatasetSha256 { get; init; }

    /// <summary>
    /// The folder inside the dataset that its image paths are relative to (<c>train2017</c>), for a COCO, Label Studio
    /// or manifest dataset whose layout does not say it. Null: found from the layout. Not applied to the test dataset.
    /// </summary>
    public string? ImagesFolder { get; init; }

    /// <summary>The categories to train; empty means those of the dataset.</summary>
    public IReadOnlyList<Category> Categories { get; init; } = [];

    public Hyperparameters Hyperparameters { get; init; } = new();

    /// <summary>A registered model to continue from; null trains from scratch.</summary>
    public Guid? BaseModelId { get; init; }

    public DetectionScope DetectOn { get; init; } = DetectionScope.AllImages;

    /// <summary>
    /// Adds every complete item of the project's inbox (uncertain images a detector node sent back, with its detections as
    /// their annotations) to the train split. The items stay in the inbox.
    /// </summary>
    public bool IncludeInbox { get; init; }
}
