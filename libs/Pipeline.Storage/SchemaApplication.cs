using JasperFx;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pipeline.Contracts;

namespace Pipeline.Storage;

/// <summary>Tables a service keeps beside Marten's documents (the outbox's), created when the schema is applied.</summary>
public interface IStorageSchema
{
    Task ApplyAsync(CancellationToken cancellationToken);
}

/// <summary>
/// <c>dotnet Pipeline.X.dll apply-schema</c>: creates or updates every table the service stores into, then grants each
/// service's role what scripts/infra.sh declares, in the service's schema (Marten:Schema), and exits. Run with the schema
/// owner's connection string (the local runner, docker-compose and the integration fixtures do, before the services
/// start): the services' own roles may read and write their tables, never create or alter them.
/// </summary>
public static class SchemaApplication
{
    public const string Verb = ServiceVerbs.ApplySchema;

    /// <summary>Defined by scripts/infra.sh (and docker-compose's database setup) from its one declaration of grants.</summary>
    public const string GrantFunction = "public.pipeline_grant_privileges";

    /// <summary>Applies the schema and returns true when the command line asks for it; returns false otherwise.</summary>
    public static async Task<bool> ApplySchemaWhenAskedAsync(this IHost host, string[] args)
    {
        if (!args.Contains(Verb))
        {
            return false;
        }

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaApplication));
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync(AutoCreate.CreateOrUpdate);
        foreach (var schema in host.Services.GetServices<IStorageSchema>())
        {
            await schema.ApplyAsync(CancellationToken.None);
        }

        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var find = new NpgsqlCommand($"select to_regprocedure('{GrantFunction}(text)') is not null", connection);
        if (await find.ExecuteScalarAsync() is true)
        {
            // The grants go to this service's schema: the deployment's, or a test run's own.
            await using var grant = new NpgsqlCommand($"select {GrantFunction}($1)", connection)
            {
                Parameters = { new NpgsqlParameter { Value = store.Options.DatabaseSchemaName } },
            };
            await grant.ExecuteNonQueryAsync();
            logger.LogInformation("Schema {Schema} applied; grants renewed", store.Options.DatabaseSchemaName);
        }
        else
        {
            logger.LogWarning("Schema {Schema} applied; no {Function}() in this database, so no service role was granted anything",
                store.Options.DatabaseSchemaName, GrantFunction);
        }

        return true;
    }
}
