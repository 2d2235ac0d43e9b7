using System.Linq.Expressions;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Reads the training a message is about: its <c>TrainingId</c>, or for a <c>Fault&lt;T&gt;</c> that of the message that
/// faulted. Null for a message type that names no training. Compiled once per type.
/// </summary>
public static class TrainingIdOf<T>
    where T : class
{
    public static readonly Func<T, Guid>? Read = Build();

    private static Func<T, Guid>? Build()
    {
        var message = Expression.Parameter(typeof(T), "message");
        Expression? trainingId = Property(message);
        if (trainingId is null && typeof(T).GetProperty("Message") is { } inner)
        {
            var innerMessage = Expression.Property(message, inner);
            var nested = Property(innerMessage);
            trainingId = nested is null
                ? null
                : Expression.Condition(Expression.Equal(innerMessage, Expression.Constant(null, inner.PropertyType)), Expression.Constant(Guid.Empty), nested);
        }

        return trainingId is null ? null : Expression.Lambda<Func<T, Guid>>(trainingId, message).Compile();
    }

    private static MemberExpression? Property(Expression instance) =>
        instance.Type.GetProperty("TrainingId") is { PropertyType: var type } property && type == typeof(Guid)
            ? Expression.Property(instance, property)
            : null;
}
