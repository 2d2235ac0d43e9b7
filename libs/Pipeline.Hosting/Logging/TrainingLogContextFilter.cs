using MassTransit;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Hosting.Logging;

/// <summary>Puts the message's TrainingId on every log line written while it is consumed.</summary>
public sealed class TrainingLogContextFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (TrainingIdOf<T>.Read is not { } read)
        {
            await next.Send(context);
            return;
        }

        using (Serilog.Context.LogContext.PushProperty("TrainingId", read(context.Message)))
        {
            await next.Send(context);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("trainingLogContext");
}
