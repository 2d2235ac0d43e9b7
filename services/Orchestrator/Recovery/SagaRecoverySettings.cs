namespace Pipeline.Orchestrator.Recovery;

/// <summary><c>SagaRecovery:*</c>: how the Orchestrator brings saga messages back from training-state_error.</summary>
public sealed class SagaRecoverySettings
{
    public const string Section = "SagaRecovery";

    /// <summary>How often training-state_error is looked at, and, when it holds messages, PostgreSQL asked whether it answers.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);
}
