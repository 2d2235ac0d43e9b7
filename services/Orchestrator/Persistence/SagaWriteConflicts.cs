using Npgsql;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>A saga write that lost a race: to a concurrent update of the training, or to another copy of the same message.</summary>
public static class SagaWriteConflicts
{
    private const string UniqueViolation = "23505";

    public static bool IsConflict(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is JasperFx.ConcurrencyException or JasperFx.DocumentAlreadyExistsException
                || current is PostgresException { SqlState: UniqueViolation })
            {
                return true;
            }
        }

        return false;
    }
}
