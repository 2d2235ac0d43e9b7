using Pipeline.Contracts;

namespace Pipeline.Trainer.Training;

/// <summary>
/// The model handed over (the best evaluation's weights), its metrics, where the run began and, when stopped, ended, and
/// the project's current model measured on the same split (null when the project had none).
/// </summary>
public sealed record TrainingResult(
    string ModelKey, TrainingMetrics Metrics, int ResumedFromIteration, int? StoppedAtIteration, CurrentModelEvaluation? CurrentModel = null);
