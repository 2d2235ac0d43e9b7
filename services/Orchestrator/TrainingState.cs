using JasperFx;
using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Orchestrator;

/// <summary>
/// One training as the saga sees it, stored as a Marten document whose identity is the TrainingId.
/// <see cref="Version"/> is Marten's numeric revision: two events for one training that race each other
/// make the second save fail with a concurrency exception, and the retry re-runs it on fresh state.
/// </summary>
public sealed class TrainingState : SagaStateMachineInstance, ISagaVersion, IRevisioned
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = "";

    // What the user asked for (BeginTraining).
    public string Organization { get; set; } = "";
    public string Project { get; set; } = "";
    public int TrainingNumber { get; set; }
    public string DatasetUri { get; set; } = "";
    public DatasetFormat DatasetFormat { get; set; }
    public string? DatasetSha256 { get; set; }
    public string? TestDatasetUri { get; set; }
    public string? TestDatasetSha256 { get; set; }
    public string? ImagesFolder { get; set; }
    public List<Category> RequestedCategories { get; set; } = [];
    public Hyperparameters Hyperparameters { get; set; } = new();
    public Guid? BaseModelId { get; set; }
    public DetectionScope DetectOn { get; set; }
    public bool IncludeInbox { get; set; }

    /// <summary>The attempt of the stage running now; results of any other attempt are late and ignored.</summary>
    public int Attempt { get; set; }

    /// <summary>Dispatches of the current stage the watchdog made because the stage fell silent; reset by any answer.</summary>
    public int SilentDispatches { get; set; }

    /// <summary>
    /// When the watchdog looks at the running stage again: the queue timeout while its command waits for a worker, the
    /// silence timeout once a worker started it; null outside the stages that have a worker, and while waiting has no limit.
    /// </summary>
    public DateTimeOffset? StageDeadline { get; set; }

    /// <summary>When a worker said it started the current attempt (or first reported on it); null while it waits in its queue.</summary>
    public DateTimeOffset? StageStartedAt { get; set; }

    public string? FailedStage { get; set; }

    /// <summary>When the services were told to drop this training's scratch (Completed, Cancelled, or Failed past its retention).</summary>
    public DateTimeOffset? ScratchDroppedAt { get; set; }

    /// <summary>The last error of each stage, under the stage's name (the learning loop's <c>errors.set(key, …)</c>).</summary>
    public Dictionary<string, string> Errors { get; set; } = [];

    // DataDownloading.
    public string? DatasetKey { get; set; }
    public string? DetectionListKey { get; set; }
    public List<Category> Categories { get; set; } = [];
    public int TrainImageCount { get; set; }
    public int TestImageCount { get; set; }
    public int DetectionImageCount { get; set; }
    public int SkippedImageCount { get; set; }
    public Dictionary<ImageSkipReason, int> SkippedImagesByReason { get; set; } = [];
    public int HeldOutImageCount { get; set; }
    public int InboxImageCount { get; set; }
    public int InboxSkippedCount { get; set; }

    // TrainModelDownloading.
    public string? BaseModelKey { get; set; }

    // TrainingRunning and ConfusionMatrixSynced.
    public TrainingProgress? Progress { get; set; }

    /// <summary>Every progress report's loss and every evaluation's mAP, for the curves; thinned past <see cref="MaxSeriesPoints"/>.</summary>
    public List<ProgressPoint> Series { get; set; } = [];

    public const int MaxSeriesPoints = 1000;
    public TrainingMetrics? BestMetrics { get; set; }
    public string? TrainedModelKey { get; set; }

    /// <summary>The attempt a StopTraining asked to end early (told again to a Trainer that starts it over).</summary>
    public int? StopRequestedForAttempt { get; set; }

    public string? StopReason { get; set; }

    /// <summary>Where the Trainer ended a stopped training; null when it ran all its iterations.</summary>
    public int? StoppedAtIteration { get; set; }

    /// <summary>The TrainingRunning attempt whose model was handed over: its late progress reports still belong on the curve.</summary>
    public int? TrainedAttempt { get; set; }

    /// <summary>The project's current model as the Trainer measured it on this training's test split: the promotion's comparison.</summary>
    public CurrentModelEvaluation? CurrentModelEvaluation { get; set; }

    // TrainModelUploading.
    public Guid? ModelId { get; set; }
    public int? ModelVersion { get; set; }
    public string? RegisteredModelKey { get; set; }
    /// <summary>The registry's record of the model's model.json: the Detector checks the model it loads against it.</summary>
    public string? RegisteredModelDescriptionSha256 { get; set; }

    // Detecting: one entry per reported batch index, so a duplicate report counts once.
    public int BatchCount { get; set; }
    public SortedDictionary<int, DetectedBatch> DetectedBatches { get; set; } = [];
    public int DetectionCount { get; set; }

    // DetectionUploading.
    public string? ExportKey { get; set; }
    public string? FullExportKey { get; set; }
    public string? GroundTruthKey { get; set; }

    /// <summary>mAP@0.5 of the full export against the test split, beside the evaluation's BestMetrics.</summary>
    public double? ExportedMeanAveragePrecision { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Every transition, pass-through states included, in order.</summary>
    public List<StateTransition> History { get; set; } = [];

    public void Begin(BeginTraining command, DateTimeOffset now)
    {
        // An invalid command is kept as it came (it fails at Initialized): fields a client left out are read as null.
        Organization = command.Organization ?? "";
        Project = command.Project ?? "";
        TrainingNumber = command.TrainingNumber;
        DatasetUri = command.DatasetUri ?? "";
        DatasetFormat = command.DatasetFormat;
        DatasetSha256 = command.DatasetSha256;
        TestDatasetUri = command.TestDatasetUri;
        TestDatasetSha256 = command.TestDatasetSha256;
        ImagesFolder = command.ImagesFolder;
        RequestedCategories = [.. (command.Categories ?? []).OfType<Category>()];
        Hyperparameters = command.Hyperparameters ?? new Hyperparameters();
        BaseModelId = command.BaseModelId;
        DetectOn = command.DetectOn;
        IncludeInbox = command.IncludeInbox;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public void RecordDataset(TrainingDataDownloaded result)
    {
        DatasetKey = result.DatasetKey;
        DetectionListKey = result.DetectionListKey;
        Categories = [.. result.Categories];
        TrainImageCount = result.TrainImageCount;
        TestImageCount = result.TestImageCount;
        DetectionImageCount = result.DetectionImageCount;
        SkippedImageCount = result.SkippedImageCount;
        SkippedImagesByReason = new(result.SkippedImagesByReason);
        HeldOutImageCount = result.HeldOutImageCount;
        InboxImageCount = result.InboxImageCount;
        InboxSkippedCount = result.InboxSkippedCount;
    }

    public void RecordProgress(TrainingProgressed progress, DateTimeOffset now)
    {
        Progress = new TrainingProgress
        {
            Iteration = progress.Iteration,
            TotalIterations = progress.TotalIterations,
            Loss = progress.Loss,
            ImagesPerSecond = progress.ImagesPerSecond,
            EstimatedTimeLeft = progress.EstimatedTimeLeft,
            At = now,
        };
        RecordLateProgress(progress, now);
    }

    /// <summary>
    /// A progress report of the attempt that trained, arriving once its result moved the training on: the Trainer sends
    /// the last report before the result, but two messages of one training can pass each other on their way into the
    /// saga's partition (MassTransit runs its retry filters before the partitioner). Such a report only extends the curve.
    /// </summary>
    public bool IsLateReportOfTrainedAttempt(TrainingProgressed progress) =>
        TrainedAttempt == progress.Attempt && CurrentState != TrainingStates.TrainingRunning
        && (Series.Count == 0 || Series[^1].Iteration < progress.Iteration);

    public void RecordLateProgress(TrainingProgressed progress, DateTimeOffset now) =>
        AddToSeries(new ProgressPoint { Iteration = progress.Iteration, Loss = progress.Loss, MeanAveragePrecision = progress.MeanAveragePrecision, At = now });

    /// <summary>
    /// A training resumed from a checkpoint (a new attempt, a redelivery) reports iterations again from there: what the
    /// series holds from that iteration on is the abandoned run's and is replaced. Past <see cref="MaxSeriesPoints"/>
    /// every second loss-only point is dropped, evaluations kept, so a week-long training's document stays small.
    /// </summary>
    private void AddToSeries(ProgressPoint point)
    {
        Series.RemoveAll(existing => existing.Iteration >= point.Iteration);
        Series.Add(point);
        if (Series.Count > MaxSeriesPoints)
        {
            var lossOnly = 0;
            Series.RemoveAll(existing => existing.MeanAveragePrecision is null && existing != point && lossOnly++ % 2 == 1);
        }
    }

    public void RecordModel(ModelUploaded result)
    {
        ModelId = result.ModelId;
        ModelVersion = result.Version;
        RegisteredModelKey = result.ModelKey;
        RegisteredModelDescriptionSha256 = result.DescriptionSha256;
    }

    /// <summary>Keeps the first report of each batch of the current attempt; a duplicate or an unknown index changes nothing.</summary>
    public void RecordBatch(ImagesDetected result)
    {
        if (result.BatchIndex < 0 || result.BatchIndex >= BatchCount || DetectedBatches.ContainsKey(result.BatchIndex))
        {
            return;
        }

        DetectedBatches[result.BatchIndex] = new DetectedBatch
        {
            DetectionsKey = result.DetectionsKey, ImageCount = result.ImageCount, DetectionCount = result.DetectionCount,
        };
        DetectionCount = DetectedBatches.Values.Sum(batch => batch.DetectionCount);
    }

    public bool AllBatchesDetected() => BatchCount > 0 && DetectedBatches.Count == BatchCount;

    public const string FailedStateName = TrainingStates.Failed;

    /// <summary>
    /// Whether a result answers this training's current attempt of <paramref name="stage"/>: in that stage, or failed
    /// in it, where a command replayed from its _error queue still answers with the attempt that failed.
    /// </summary>
    public bool IsAnswerTo(int attempt, string stage) =>
        attempt == Attempt && (CurrentState == stage || (CurrentState == FailedStateName && FailedStage == stage));

    public bool HasImagesToDetect() => DetectOn != DetectionScope.None && DetectionImageCount > 0;

    public void RecordExport(DetectionsUploaded result)
    {
        ExportKey = result.ExportKey;
        FullExportKey = result.FullExportKey;
        GroundTruthKey = result.GroundTruthKey;
        ExportedMeanAveragePrecision = result.ExportedMeanAveragePrecision;
        DetectionCount = result.DetectionCount;
    }
}
