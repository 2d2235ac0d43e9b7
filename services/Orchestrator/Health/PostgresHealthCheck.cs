using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pipeline.Orchestrator.Health;

/// <summary>Ready only while Marten's database answers a query.</summary>
public sealed class PostgresHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var session = store.QuerySession();
            await session.QueryAsync<int>("select 1", cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL does not answer.", exception);
        }
    }
}
