using System.Reflection;
using MassTransit;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Caps how long a lost queue waits between two reconnects. MassTransit retries a lost receive endpoint after a back-off
/// that grows to 30 s (±25%) and, kept for the life of the endpoint, never shrinks: after a few outages every queue sat
/// idle 20 to 40 s after its broker was back, and as long again when that one attempt failed (issue 18, item 4: 20 to
/// 90 s in CI). MassTransit 8 has no setting for it (a get-only property of its host configuration), and restarting each
/// lost endpoint from outside raced MassTransit's own attempt and could wedge the endpoint for good. So the policy itself
/// is replaced before the bus starts: a lost endpoint is retried at most <c>RabbitMq:ReconnectMaxDelay</c> apart. It is
/// retried whatever failed but a refused login: past MassTransit's own list (a closed connection or channel, a broken
/// stream) it ends the endpoint for the life of the process, on a timeout say, and a worker that is up but reads nothing
/// is the failure an operator cannot see. MassTransit stays on
/// 8.5 (9 needs a licence); if its internals move, every service refuses to start, naming this class.
/// </summary>
public static class ReconnectBackOff
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

    public static void CapReconnectDelay(this IRabbitMqBusFactoryConfigurator rabbit, TimeSpan maxDelay)
    {
        if (maxDelay < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"RabbitMq:ReconnectMaxDelay is {maxDelay}; at least 1 s (a lost broker is not to be hammered).");
        }

        var host = FieldOf(rabbit, "_hostConfiguration").GetValue(rabbit)!;
        var policy = FieldOf(host, "<ReceiveTransportRetryPolicy>k__BackingField");
        policy.SetValue(host, Policy(maxDelay));
    }

    /// <summary>Every failure is retried, up to <paramref name="maxDelay"/> apart, but a refused login (wrong credentials do not heal).</summary>
    public static IRetryPolicy Policy(TimeSpan maxDelay) => Retry.CreatePolicy(retry =>
    {
        retry.Handle<Exception>(exception => !IsRefusedLogin(exception));
        retry.Exponential(int.MaxValue, TimeSpan.FromSeconds(1), maxDelay, TimeSpan.FromSeconds(1));
    });

    private static bool IsRefusedLogin(Exception? exception) =>
        exception is not null && (exception is RabbitMQ.Client.Exceptions.AuthenticationFailureException || IsRefusedLogin(exception.InnerException)
            || (exception is AggregateException all && all.InnerExceptions.Any(IsRefusedLogin)));

    private static FieldInfo FieldOf(object owner, string name)
    {
        for (var type = owner.GetType(); type is not null; type = type.BaseType)
        {
            if (type.GetField(name, Instance) is { } field)
            {
                return field;
            }
        }

        throw new InvalidOperationException(
            $"{nameof(ReconnectBackOff)}: {owner.GetType().FullName} has no field {name} in this MassTransit version; the reconnect back-off cannot be capped.");
    }
}
