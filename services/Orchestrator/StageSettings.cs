namespace Pipeline.Orchestrator;

/// <summary>
/// <c>Stages:{StateName}:Timeout</c>: how long a running stage may stay silent before the watchdog sends it
/// again with the next attempt; <c>Stages:MaxAttempts</c>: how many silent dispatches in a row fail the training.
/// </summary>
public sealed class StageSettings
{
    public const string Section = "Stages";

    public int MaxAttempts { get; set; } = 5;

    public StageTimeout DataDownloading { get; set; } = new() { Timeout = TimeSpan.FromMinutes(10) };
    public StageTimeout TrainModelDownloading { get; set; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>Silence, not duration: every progress report of the Trainer pushes the deadline.</summary>
    public StageTimeout TrainingRunning { get; set; } = new() { Timeout = TimeSpan.FromMinutes(15) };

    public StageTimeout TrainModelUploading { get; set; } = new() { Timeout = TimeSpan.FromMinutes(5) };
    public StageTimeout Detecting { get; set; } = new() { Timeout = TimeSpan.FromMinutes(5) };
    public StageTimeout DetectionUploading { get; set; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    public TimeSpan TimeoutOf(string stage) => stage switch
    {
        nameof(DataDownloading) => DataDownloading.Timeout,
        nameof(TrainModelDownloading) => TrainModelDownloading.Timeout,
        nameof(TrainingRunning) => TrainingRunning.Timeout,
        nameof(TrainModelUploading) => TrainModelUploading.Timeout,
        nameof(Detecting) => Detecting.Timeout,
        nameof(DetectionUploading) => DetectionUploading.Timeout,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage with a worker."),
    };
}

public sealed class StageTimeout
{
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}
