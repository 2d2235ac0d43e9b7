namespace Pipeline.Orchestrator.Recovery;

/// <summary>
/// A saga message whose processing outlasted its retries on a fault that says "later", not "bad": PostgreSQL or RabbitMQ
/// away past Retry:OutageBudget, or a write conflict. It stands in for the real exception (named in its message) and
/// has no inner one, because MassTransit writes the innermost exception's type into the _error copy's
/// MT-Fault-ExceptionType header: this type there is how <see cref="SagaErrorRecovery"/> knows what to bring back.
/// </summary>
public sealed class SagaRetryLaterException(string message) : Exception(message)
{
    /// <summary>Whether an _error copy's MT-Fault-ExceptionType header names this exception.</summary>
    public static bool IsNamedBy(string? faultExceptionType) =>
        faultExceptionType?.Contains(typeof(SagaRetryLaterException).FullName!, StringComparison.Ordinal) == true;
}
