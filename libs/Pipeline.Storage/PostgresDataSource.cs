using Npgsql;

namespace Pipeline.Storage;

/// <summary>
/// The one data source a service's Marten store, outbox and schema application share. Given several hosts
/// (<c>Host=db1,db2;Target Session Attributes=primary</c>) it is Npgsql's multi-host data source: the attribute is taken
/// out of the connection string, which Npgsql refuses on a multi-host builder, and applied as the data source's target
/// session instead, so a service writes only to whichever host is the primary now.
/// </summary>
public static class PostgresDataSource
{
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.Host?.Contains(',') != true)
        {
            return builder.Build();
        }

        var targetSession = builder.ConnectionStringBuilder.TargetSessionAttributes;
        builder.ConnectionStringBuilder.TargetSessionAttributes = null;
        var multiHost = builder.BuildMultiHost();
        return targetSession is null ? multiHost : multiHost.WithTargetSession(ParseTargetSession(targetSession));
    }

    /// <summary>PostgreSQL's spelling (<c>read-write</c>, <c>prefer-standby</c>) of Npgsql's enum.</summary>
    private static TargetSessionAttributes ParseTargetSession(string value) =>
        Enum.TryParse<TargetSessionAttributes>(value.Replace("-", ""), ignoreCase: true, out var parsed)
            ? parsed
            : throw new InvalidOperationException(
                $"Target Session Attributes '{value}' is not one of any, primary, standby, prefer-primary, prefer-standby, read-write, read-only.");
}
