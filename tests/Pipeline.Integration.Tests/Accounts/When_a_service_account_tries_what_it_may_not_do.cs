using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Orchestrator;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Storage;
using Pipeline.Registry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Integration.Tests.Accounts;

/// <summary>
/// What each service's own account may not do, tried on the real servers with the accounts scripts/infra.sh made
/// (PIPELINE_&lt;SERVICE&gt;_* from 'scripts/infra.sh env'): every refusal is the server's own (PostgreSQL's SQLSTATE,
/// RabbitMQ's ACCESS_REFUSED), each beside the permitted neighbour that shows the account works at all.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_a_service_account_tries_what_it_may_not_do(InfrastructureFixture infrastructure)
{
    private const string InsufficientPrivilege = "42501";
    private const string InvalidPassword = "28P01";
    private const ushort AccessRefused = 403;

    /// <summary>The deployment's schema (Marten:Schema's default), where the grants are declared.</summary>
    private const string Schema = MartenConfiguration.DefaultSchema;

    [Theory]
    [InlineData("detector")]
    [InlineData("trainer")]
    [InlineData("downloader")]
    public async Task A_worker_without_database_needs_cannot_log_in_to_PostgreSQL(string service)
    {
        Assert.Null(Environment.GetEnvironmentVariable($"PIPELINE_{service.ToUpperInvariant()}_POSTGRES"));
        // The best guess it has: its own role name (as the other services' are made) with its own password.
        var connection = new NpgsqlConnectionStringBuilder(infrastructure.PostgresConnectionString)
        {
            Username = $"pipeline_{service}", Password = Account(service).Password,
        };

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection.ConnectionString, "select 1"));

        Assert.Equal(InvalidPassword, refused.SqlState);
    }

    [Fact]
    public async Task The_Uploader_writes_the_registry_but_cannot_write_the_saga_table()
    {
        await ApplyDeploymentSchemaAsync();
        var uploader = Postgres("uploader");

        // "where false": the privilege is checked when the statement is planned, so nothing is written either way.
        await ExecuteAsync(uploader, $"update {Schema}.mt_doc_modelversion set data = data where false");
        var refused = await Assert.ThrowsAsync<PostgresException>(
            () => ExecuteAsync(uploader, $"update {Schema}.mt_doc_trainingstate set data = data where false"));

        Assert.Equal(InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task The_Orchestrator_reads_the_registry_but_cannot_write_it()
    {
        await ApplyDeploymentSchemaAsync();
        var orchestrator = Postgres("orchestrator");

        await ExecuteAsync(orchestrator, $"select count(*) from {Schema}.mt_doc_modelversion");
        await ExecuteAsync(orchestrator, $"update {Schema}.mt_doc_trainingstate set data = data where false");
        var refused = await Assert.ThrowsAsync<PostgresException>(
            () => ExecuteAsync(orchestrator, $"delete from {Schema}.mt_doc_modelversion where false"));

        Assert.Equal(InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task The_Orchestrators_account_reads_a_projects_current_model_as_the_Orchestrator_does()
    {
        await ApplyDeploymentSchemaAsync();
        // Marten set up as the Orchestrator sets it up (its defaults, its mapping), logged in as its role: a service that
        // compared tables on first use would see, through its read-only grant, the registry's table unlike its mapping
        // and try to alter it (42501, must be owner), as the Orchestrator did before the owner alone applied the schema.
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = Postgres("orchestrator") });
        builder.AddPipelineMarten(options =>
        {
            Pipeline.Orchestrator.Persistence.TrainingStateDocument.Configure(options);
            ModelRegistryDocuments.Configure(options);
        });
        using var host = builder.Build();
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();

        Assert.Null(await CurrentModelAlias.FindCurrentAsync(session, "accounts-test", $"no-model-{Guid.NewGuid():N}", CancellationToken.None));
        Assert.Equal(0, await session.Query<TrainingState>().CountAsync(training => training.Project == "accounts-test"));
    }

    [Fact]
    public async Task A_service_cannot_create_tables_in_the_schema()
    {
        await ApplyDeploymentSchemaAsync();

        var refused = await Assert.ThrowsAsync<PostgresException>(
            () => ExecuteAsync(Postgres("uploader"), $"create table {Schema}.not_declared (id int)"));

        Assert.Equal(InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_PostgreSQL()
    {
        var wrong = new NpgsqlConnectionStringBuilder(infrastructure.PostgresConnectionString) { Password = "not-the-password" };

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(wrong.ConnectionString, "select 1"));

        Assert.Equal(InvalidPassword, refused.SqlState);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_RabbitMQ()
    {
        var refused = await Assert.ThrowsAsync<BrokerUnreachableException>(
            () => ConnectAsync((Account("detector").User, "not-the-password")));

        Assert.Contains("ACCESS_REFUSED", refused.GetBaseException().Message);
    }

    [Fact]
    public async Task A_stage_cannot_delete_nor_read_another_stage_queue()
    {
        await infrastructure.GrantAsOnDefaultVirtualHostAsync(Account("detector").User);
        await using (var operatorConnection = await ConnectAsync((infrastructure.RabbitMqUsername, infrastructure.RabbitMqPassword)))
        {
            foreach (var queue in new[] { StageQueues.TrainModel, StageQueues.DetectImages })
            {
                // As MassTransit declares them, unless a service of another test here already has.
                if (await infrastructure.QueueCountsAsync(queue) is null)
                {
                    await using var declare = await operatorConnection.CreateChannelAsync();
                    await declare.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                }
            }
        }

        await using var detector = await ConnectAsync(Account("detector"));
        // Its own queue it may read.
        await using (var own = await detector.CreateChannelAsync())
        {
            await own.BasicGetAsync(StageQueues.DetectImages, autoAck: false);
        }

        await using (var delete = await detector.CreateChannelAsync())
        {
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => delete.QueueDeleteAsync(StageQueues.TrainModel));
            Assert.Equal(AccessRefused, refused.ShutdownReason?.ReplyCode ?? 0);
        }

        await using (var read = await detector.CreateChannelAsync())
        {
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => read.BasicGetAsync(StageQueues.TrainModel, autoAck: false));
            Assert.Equal(AccessRefused, refused.ShutdownReason?.ReplyCode ?? 0);
        }

        Assert.NotNull(await infrastructure.QueueCountsAsync(StageQueues.TrainModel));
    }

    /// <summary>
    /// Issue 20's finding: every account could publish every message, so a stolen detector node credential cancelled a
    /// training. Now each may write only the exchanges of the messages it publishes (and the faults of those it
    /// consumes), and delete none it neither publishes nor consumes: the refused publish and delete beside a permitted
    /// publish. (An exchange it consumes it may still delete: MassTransit declares, which RabbitMQ counts as configure.)
    /// </summary>
    [Theory]
    [InlineData("detectornode", "Pipeline.Contracts:CancelTraining", "MassTransit:Fault--Pipeline.Contracts:ModelPromoted--")]
    [InlineData("downloader", "Pipeline.Contracts:ModelTrained", "Pipeline.Contracts:TrainingDataDownloaded")]
    [InlineData("detector", "MassTransit:Fault--Pipeline.Contracts:TrainModel--", "MassTransit:Fault--Pipeline.Contracts:DetectImages--")]
    [InlineData("trainer", "Pipeline.Contracts:BaseModelDownloaded", "Pipeline.Contracts:ModelTrained")]
    [InlineData("uploader", "Pipeline.Contracts:TrainingReadyForCleanup", "Pipeline.Contracts:ModelUploaded")]
    [InlineData("uploader", "Pipeline.Contracts:BeginTraining", "Pipeline.Contracts:ModelPromoted")]
    public async Task A_service_publishes_only_its_own_messages_and_deletes_no_exchange_it_does_not_use(string service, string foreign, string own)
    {
        var account = Account(service);
        await infrastructure.GrantAsDeclaredAsync(service, account.User);
        await using (var operatorConnection = await ConnectAsync((infrastructure.RabbitMqUsername, infrastructure.RabbitMqPassword)))
        await using (var declare = await operatorConnection.CreateChannelAsync())
        {
            // As MassTransit declares them, so a refusal is the permission's and not a missing exchange's.
            foreach (var exchange in new[] { foreign, own })
            {
                await declare.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            }
        }

        await using var connection = await ConnectAsync(account);
        await PublishAsync(connection, own);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => PublishAsync(connection, foreign));
        Assert.Contains("ACCESS_REFUSED", refused.ToString());
        await using (var delete = await connection.CreateChannelAsync())
        {
            var deleteRefused = await Assert.ThrowsAsync<OperationInterruptedException>(() => delete.ExchangeDeleteAsync(foreign));
            Assert.Equal(AccessRefused, deleteRefused.ShutdownReason?.ReplyCode ?? 0);
        }
    }

    /// <summary>Publishes an empty message and waits for the broker's confirm; a refusal closes the channel and throws here.</summary>
    private static async Task PublishAsync(IConnection connection, string exchange)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(exchange, "", mandatory: false, new BasicProperties(), ReadOnlyMemory<byte>.Empty);
        // A refusal arrives as the channel's close, which the next call on the channel reports if the confirm did not.
        await channel.ExchangeDeclarePassiveAsync(exchange);
    }

    /// <summary>A service's RabbitMQ account, as 'scripts/infra.sh env' prints it.</summary>
    private static (string User, string Password) Account(string service)
    {
        var prefix = $"PIPELINE_{service.ToUpperInvariant()}_RABBITMQ_";
        return (Required(prefix + "USER"), Required(prefix + "PASSWORD"));
    }

    private static string Postgres(string service) => Required($"PIPELINE_{service.ToUpperInvariant()}_POSTGRES");

    private static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            $"{name} is not set: these tests use the services' own accounts, which 'scripts/infra.sh up' makes; run 'eval \"$(scripts/infra.sh env)\"'.");

    /// <summary>As the local runner does before the services start: the owner creates the tables, the grants follow.</summary>
    private async Task ApplyDeploymentSchemaAsync()
    {
        foreach (var service in new[] { "Orchestrator", "Uploader" })
        {
            var start = new ProcessStartInfo("dotnet", [ServiceProcess.ServiceAssemblyPath(service), SchemaApplication.Verb])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            start.Environment["ConnectionStrings__Postgres"] = infrastructure.PostgresConnectionString;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(bound.Token);
            Assert.True(process.ExitCode == 0, $"{service} apply-schema exited {process.ExitCode}:\n{await output}{await errors}");
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private Task<IConnection> ConnectAsync((string User, string Password) account) =>
        new ConnectionFactory
        {
            HostName = infrastructure.RabbitMqHost, Port = infrastructure.RabbitMqPort, VirtualHost = infrastructure.RabbitMqVirtualHost,
            UserName = account.User, Password = account.Password, ClientProvidedName = "service-accounts-tests",
        }.CreateConnectionAsync();
}
