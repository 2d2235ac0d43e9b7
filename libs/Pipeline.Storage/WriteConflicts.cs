using JasperFx;
using Npgsql;

namespace Pipeline.Storage;

/// <summary>
/// A Marten write that lost a race: to a concurrent update of the same document, or to another copy of the same
/// message (its inbox row or its document already inserted). Reading again and retrying resolves it.
/// </summary>
public static class WriteConflicts
{
    public static bool IsConflict(Exception? exception) => exception switch
    {
        null => false,
        ConcurrencyException or DocumentAlreadyExistsException => true,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsConflict),
        _ => IsConflict(exception.InnerException),
    };
}
