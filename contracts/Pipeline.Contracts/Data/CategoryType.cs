namespace Pipeline.Contracts;

/// <summary>What a category's annotations and detections are, as in the learning loop.</summary>
public enum CategoryType
{
    Box,
    Point,
    Classification,
}
