using System.Linq.Expressions;
using MassTransit;

namespace Pipeline.Hosting.Logging;

/// <summary>Puts the message's TrainingId on every log line written while it is consumed.</summary>
public sealed class TrainingLogContextFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly Func<T, Guid>? ReadTrainingId = BuildReader();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (ReadTrainingId is null)
        {
            await next.Send(context);
            return;
        }

        using (Serilog.Context.LogContext.PushProperty("TrainingId", ReadTrainingId(context.Message)))
        {
            await next.Send(context);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("trainingLogContext");

    // Messages carry TrainingId directly, faults carry it on the message that faulted.
    private static Func<T, Guid>? BuildReader()
    {
        var message = Expression.Parameter(typeof(T), "message");
        Expression? trainingId = TrainingIdOf(message);
        if (trainingId is null && typeof(T).GetProperty("Message") is { } inner)
        {
            var innerMessage = Expression.Property(message, inner);
            var nested = TrainingIdOf(innerMessage);
            trainingId = nested is null
                ? null
                : Expression.Condition(Expression.Equal(innerMessage, Expression.Constant(null, inner.PropertyType)), Expression.Constant(Guid.Empty), nested);
        }

        return trainingId is null ? null : Expression.Lambda<Func<T, Guid>>(trainingId, message).Compile();
    }

    private static MemberExpression? TrainingIdOf(Expression instance) =>
        instance.Type.GetProperty("TrainingId") is { PropertyType: var type } property && type == typeof(Guid)
            ? Expression.Property(instance, property)
            : null;
}
