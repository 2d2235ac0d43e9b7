namespace Pipeline.Contracts;

public sealed record DownloadBaseModel
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }
    /// <summary>The sha256 the registry recorded for the model's model.json (see <see cref="ModelVersion.DescriptionSha256"/>).</summary>
    public string? DescriptionSha256 { get; init; }
}
