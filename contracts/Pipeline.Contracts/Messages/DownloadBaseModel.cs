namespace Pipeline.Contracts;

public sealed record DownloadBaseModel
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }
}
