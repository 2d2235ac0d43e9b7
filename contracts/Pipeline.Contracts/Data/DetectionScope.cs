namespace Pipeline.Contracts;

/// <summary>Which of the training's images the finished model runs over.</summary>
public enum DetectionScope
{
    AllImages,
    TestImages,
    TrainImages,
    None,
}
