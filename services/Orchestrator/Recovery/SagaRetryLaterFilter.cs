using MassTransit;
using Pipeline.Hosting.Messaging;
using Pipeline.Storage;

namespace Pipeline.Orchestrator.Recovery;

/// <summary>
/// Outside every retry on the saga's endpoint: a message that still fails on an outage or a write conflict leaves as a
/// <see cref="SagaRetryLaterException"/>, so its _error copy says it is to be brought back, not looked at.
/// </summary>
public sealed class SagaRetryLaterFilter : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception e) when (TransientFaults.IsTransient(e) || WriteConflicts.IsConflict(e))
        {
            var cause = e.GetBaseException();
            throw new SagaRetryLaterException($"Outlasted its retries on {cause.GetType().FullName}: {cause.Message}");
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("sagaRetryLater");
}
