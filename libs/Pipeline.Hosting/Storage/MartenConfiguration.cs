using JasperFx;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pipeline.Hosting.Storage;

public static class MartenConfiguration
{
    public const string ConnectionStringName = "Postgres";
    public const string Schema = "pipeline";

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
            options.DatabaseSchemaName = Schema;
            // Each service creates the tables it owns on first use; no separate migration step to forget.
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            configure(options);
        }).UseLightweightSessions();
    }
}
