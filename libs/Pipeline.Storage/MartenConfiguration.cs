using JasperFx;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pipeline.Storage;

public static class MartenConfiguration
{
    public const string ConnectionStringName = "Postgres";
    public const string DefaultSchema = "pipeline";

    /// <summary>Whether a service creates or alters its tables itself (None by default: the schema owner applies them).</summary>
    public const string AutoCreateSetting = "Marten:AutoCreate";

    /// <summary>
    /// Marten on the <c>ConnectionStrings:Postgres</c> database; each service adds the documents it owns. The data source
    /// is registered for the service's other statements (its outbox) to share.
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddPipelineMarten(
        this IHostApplicationBuilder builder, Action<StoreOptions> configure)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set. Start PostgreSQL with 'scripts/infra.sh up' and set ConnectionStrings__{ConnectionStringName}.");
        builder.Services.AddSingleton(_ => PostgresDataSource.Create(connectionString));
        return builder.Services.AddMarten(options =>
        {
            // A schema per deployment (or per test run) keeps their documents apart in one database.
            options.DatabaseSchemaName = builder.Configuration["Marten:Schema"] ?? DefaultSchema;
            // The schema's owner applies it ('apply-schema', run by the local runner and docker-compose) and a service's own
            // role may only read and write: a service that compared tables on first use would see, through a read-only
            // grant, a table "unlike" its mapping and try to alter it (42501). Tests on schemas of their own set
            // CreateOrUpdate, running as the owner.
            options.AutoCreateSchemaObjects = builder.Configuration.GetValue(AutoCreateSetting, AutoCreate.None);
            configure(options);
        }).UseNpgsqlDataSource().UseLightweightSessions();
    }
}
