namespace Pipeline.Contracts;

public sealed record DatasetStatus(
    string Uri, string? Key, IReadOnlyList<Category> Categories,
    int TrainImageCount, int TestImageCount, int DetectionImageCount, int SkippedImageCount, int HeldOutImageCount = 0,
    string? TestUri = null, int InboxImageCount = 0, int InboxSkippedCount = 0);
