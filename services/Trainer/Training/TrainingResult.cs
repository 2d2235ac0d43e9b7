using Pipeline.Contracts;

namespace Pipeline.Trainer.Training;

public sealed record TrainingResult(string ModelKey, TrainingMetrics Metrics, int ResumedFromIteration);
