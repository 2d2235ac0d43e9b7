namespace Pipeline.Vision.Training;

/// <summary>What one iteration did. <see cref="Iteration"/> counts from 1 and keeps counting across a resume.</summary>
public sealed record TrainingStep(
    int Iteration,
    int Iterations,
    double Loss,
    double HeatmapLoss,
    double SizeLoss,
    double OffsetLoss,
    double ClassificationLoss,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Duration);
