using Pipeline.Contracts;

namespace Pipeline.Orchestrator;

/// <summary>
/// <c>Stages:{State}:Timeout</c> (silence once started), <c>Stages:{State}:QueueTimeout</c> (waiting in the queue before a
/// worker starts; empty waits for ever), defaults from each stage's declaration in <see cref="TrainingStages"/>;
/// <c>Stages:MaxAttempts</c>: how many silent dispatches in a row fail the training.
/// </summary>
public sealed class StageSettings
{
    public const string Section = "Stages";

    public int MaxAttempts { get; set; } = 5;

    /// <summary>How long a Failed training keeps its scratch (dataset, checkpoints, detections) for a retry or a replay.</summary>
    public TimeSpan FailedRetention { get; set; } = TimeSpan.FromDays(7);

    public Dictionary<string, StageTimeouts> Timeouts { get; } = TrainingStages.All.ToDictionary(
        stage => stage.Running, stage => new StageTimeouts { Timeout = stage.Timeout, QueueTimeout = stage.QueueTimeout });

    public TimeSpan TimeoutOf(string stage) => Of(stage).Timeout;

    public TimeSpan? QueueTimeoutOf(string stage) => Of(stage).QueueTimeout;

    /// <summary>Reads the section over the declared defaults.</summary>
    public void Read(IConfiguration section)
    {
        MaxAttempts = section.GetValue(nameof(MaxAttempts), MaxAttempts);
        FailedRetention = section.GetValue(nameof(FailedRetention), FailedRetention);
        foreach (var (stage, timeouts) in Timeouts)
        {
            var stageSection = section.GetSection(stage);
            timeouts.Timeout = stageSection.GetValue(nameof(StageTimeouts.Timeout), timeouts.Timeout);
            if (stageSection[nameof(StageTimeouts.QueueTimeout)] is { } queueTimeout)
            {
                timeouts.QueueTimeout = queueTimeout.Length == 0 ? null : TimeSpan.Parse(queueTimeout, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    private StageTimeouts Of(string stage) =>
        Timeouts.TryGetValue(stage, out var timeouts) ? timeouts : throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage with a worker.");
}

public sealed class StageTimeouts
{
    public TimeSpan Timeout { get; set; }
    public TimeSpan? QueueTimeout { get; set; }
}
