using Pipeline.Contracts;

namespace Pipeline.Trainer.Training;

/// <summary>The model handed over (the best evaluation's weights), its metrics, and where the run began and, when stopped, ended.</summary>
public sealed record TrainingResult(string ModelKey, TrainingMetrics Metrics, int ResumedFromIteration, int? StoppedAtIteration);
