using JasperFx;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pipeline.Hosting.Storage;

public static class MartenConfiguration
{
    public const string ConnectionStringName = "Postgres";
    public const string DefaultSchema = "pipeline";

    /// <summary>Marten on the <c>ConnectionStrings:Postgres</c> database; each service adds the documents it owns.</summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddPipelineMarten(
        this IHostApplicationBuilder builder, Action<StoreOptions> configure)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set. Start PostgreSQL with 'scripts/infra.sh up' and set ConnectionStrings__{ConnectionStringName}.");
        return builder.Services.AddMarten(options =>
        {
            options.Connection(connectionString);
            // A schema per deployment (or per test run) keeps their documents apart in one database.
            options.DatabaseSchemaName = builder.Configuration["Marten:Schema"] ?? DefaultSchema;
            // Each service creates the tables it owns on first use; no separate migration step to forget.
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            configure(options);
        }).UseLightweightSessions();
    }
}
