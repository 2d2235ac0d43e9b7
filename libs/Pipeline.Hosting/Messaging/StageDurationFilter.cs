using System.Diagnostics;
using MassTransit;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Times each run of a stage's consumer into <see cref="PipelineMetrics.StageDuration"/>, tagged with the stage's queue
/// and how the run ended: completed, faulted (a retry may follow), or cancelled (a stopping worker handed the command back).
/// Innermost in the stage's pipe, so a command skipped as a late copy is not timed.
/// </summary>
public sealed class StageDurationFilter<TConsumer, TMessage> : IFilter<ConsumerConsumeContext<TConsumer, TMessage>>
    where TConsumer : class
    where TMessage : class
{
    public async Task Send(ConsumerConsumeContext<TConsumer, TMessage> context, IPipe<ConsumerConsumeContext<TConsumer, TMessage>> next)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "faulted";
        try
        {
            await next.Send(context);
            outcome = "completed";
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            PipelineMetrics.StageDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("queue", context.ReceiveContext.InputAddress.QueueName()),
                new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stageDuration");
}
