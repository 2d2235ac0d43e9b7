using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Hosting;
using Pipeline.Orchestrator;
using Pipeline.Outbox;
using Pipeline.Storage;

namespace Pipeline.Integration.Tests.Outbox;

/// <summary>
/// Services that keep an outbox, each as a host of its own with the hosting library's name for it and its own RabbitMQ
/// account (scripts/infra.sh's, granted in this run's virtual host as on the default one), on one test schema: the
/// Orchestrator's and the Uploader's outboxes as they share one PostgreSQL schema in a deployment.
/// </summary>
internal sealed class OutboxServices(InfrastructureFixture infrastructure, string schema) : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly List<IHost> hosts = [];

    public string Schema => schema;

    public string Table => $"\"{schema}\".outbox_messages";

    /// <summary>
    /// A host named <paramref name="service"/> on the bus as that service's account, whose relay runs when
    /// <paramref name="deliver"/>; nothing is sent on commit, so every row waits for a relay.
    /// </summary>
    public async Task<IHost> StartAsync(string service, bool deliver, Dictionary<string, string?>? settings = null, (string User, string Password)? account = null)
    {
        var (user, password) = account ?? (InfrastructureFixture.Account(service).RabbitMqUser, InfrastructureFixture.Account(service).RabbitMqPassword);
        if (account is null)
        {
            await infrastructure.GrantAsOnDefaultVirtualHostAsync(user);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RabbitMq:Username"] = user,
            ["RabbitMq:Password"] = password,
            ["Marten:Schema"] = schema,
            [$"{OutboxSettings.Section}:{nameof(OutboxSettings.Deliver)}"] = deliver.ToString(),
            [$"{OutboxSettings.Section}:{nameof(OutboxSettings.DeliverOnCommit)}"] = "false",
            [$"{OutboxSettings.Section}:{nameof(OutboxSettings.PollInterval)}"] = "00:00:00.200",
        }).AddInMemoryCollection(settings ?? []);
        builder.AddPipelineDefaults(service, _ => { });
        builder.AddPipelineMarten(_ => { });
        if (service == "orchestrator")
        {
            // As the Orchestrator registers its outbox (its relay also takes the rows from before rows named their service).
            builder.Services.AddSagaOutbox(builder.Configuration);
        }
        else
        {
            builder.Services.AddTransactionalOutbox(builder.Configuration);
        }

        var host = builder.Build();
        hosts.Add(host);
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, Bound);
        return host;
    }

    /// <summary>Commits one message into <paramref name="host"/>'s outbox as its unit of work does; returns the row's message id.</summary>
    public static async Task<Guid> WriteAsync(IHost host, Action<OutboxBuffer> messages)
    {
        var outbox = host.Services.GetRequiredService<OutboxStore>();
        await outbox.EnsureCreatedAsync(CancellationToken.None);
        var buffer = new OutboxBuffer();
        messages(buffer);
        await using var session = host.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        outbox.Write(session, buffer, "outbox-tests", messageId: null);
        await session.SaveChangesAsync();
        return await ScalarAsync<Guid>(host, $"select message_id from {outbox.MessagesTable} order by sequence desc limit 1");
    }

    public static Task<Guid> SendDownloadAsync(IHost host) =>
        WriteAsync(host, buffer => buffer.Send(new DownloadTrainingData { TrainingId = NewId.NextGuid(), Attempt = 1, DatasetUri = "file:///nowhere" }));

    public static Task<Guid> PublishDetectionsUploadedAsync(IHost host) =>
        WriteAsync(host, buffer => buffer.Publish(new DetectionsUploaded { TrainingId = NewId.NextGuid(), Attempt = 1, ExportKey = "export" }));

    public async Task<bool> IsWaitingAsync(Guid messageId) =>
        await ExecuteScalarAsync<long>($"select count(*) from {Table} where message_id = $1", messageId) > 0;

    public async Task<T> ExecuteScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(IHost host, string sql)
    {
        await using var command = host.Services.GetRequiredService<OutboxStore>().DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Runs <c>apply-schema</c> as the Orchestrator's host does it (Marten's tables, every <see cref="IStorageSchema"/>, the
    /// grants), as the schema's owner; throws when it has not finished within <paramref name="bound"/>.
    /// </summary>
    public async Task ApplySchemaAsync(TimeSpan bound)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marten:Schema"] = schema,
        });
        builder.AddPipelineDefaults("orchestrator", _ => { });
        builder.AddPipelineMarten(_ => { });
        builder.Services.AddTransactionalOutbox(builder.Configuration, deliver: false);
        using var host = builder.Build();
        var applied = host.ApplySchemaWhenAskedAsync([SchemaApplication.Verb]);
        if (await Task.WhenAny(applied, Task.Delay(bound)) != applied)
        {
            throw new TimeoutException($"apply-schema did not finish within {bound}: it waits on a lock the outbox relays hold");
        }

        Assert.True(await applied);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(hosts))
        {
            using var bound = new CancellationTokenSource(Bound);
            await host.StopAsync(bound.Token);
            host.Dispose();
        }
    }
}
