using System.Net.Sockets;
using Npgsql;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Whether a failure says that a server is away for now (PostgreSQL stopped or restarting, RabbitMQ unreachable) rather
/// than that the message is bad. Marten and MassTransit wrap the driver's exception, so every inner exception counts.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AggregateException aggregate && aggregate.InnerExceptions.Any(IsTransient))
            {
                return true;
            }

            if (IsTransientItself(current))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The same judgement from what an _error copy keeps of its fault: MassTransit's MT-Fault-ExceptionType names the
    /// innermost exception (the socket's, the driver's, the server's SQLSTATE at the start of MT-Fault-Message), not
    /// the wrappers around it.
    /// </summary>
    public static bool IsTransientNamed(string? exceptionType, string? message) => exceptionType switch
    {
        null => false,
        _ when exceptionType.StartsWith(typeof(PostgresException).FullName!, StringComparison.Ordinal) =>
            message is not null && (message.StartsWith("08", StringComparison.Ordinal) || message.StartsWith("53", StringComparison.Ordinal)
                || message.StartsWith("57P0", StringComparison.Ordinal)),
        _ => TransientTypes.Any(type => exceptionType.StartsWith(type.FullName!, StringComparison.Ordinal)),
    };

    private static readonly Type[] TransientTypes =
    [
        typeof(NpgsqlException), typeof(SocketException), typeof(TimeoutException), typeof(EndOfStreamException),
        typeof(RabbitMQ.Client.Exceptions.BrokerUnreachableException), typeof(RabbitMQ.Client.Exceptions.AlreadyClosedException),
        typeof(MassTransit.RabbitMqConnectionException),
    ];

    private static bool IsTransientItself(Exception exception) => exception switch
    {
        // Class 08 (connection), 53 (resources), 57P0x (shutdown, crash recovery, cannot connect now).
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57P0", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient,
        SocketException or TimeoutException => true,
        RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.AlreadyClosedException => true,
        MassTransit.RabbitMqConnectionException => true,
        _ => false,
    };
}
