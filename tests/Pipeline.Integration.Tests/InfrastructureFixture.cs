using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Pipeline.Storage;
using Pipeline.Integration.Tests.Outages;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Pipeline.Integration.Tests;

/// <summary>Tests that need the real RabbitMQ and PostgreSQL join this collection and share one <see cref="InfrastructureFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "infrastructure";
}

/// <summary>
/// RabbitMQ and PostgreSQL for integration tests. The servers come from the environment
/// (<c>eval "$(scripts/infra.sh env)"</c>: PIPELINE_RABBITMQ_HOST/PORT/USER/PASSWORD[/MANAGEMENT_URL], PIPELINE_POSTGRES);
/// where none is given and a Docker engine answers, from Testcontainers; otherwise the tests fail at once, saying how to start them.
/// Each run gets its own RabbitMQ virtual host (when the management API answers) and its own PostgreSQL schemas,
/// both removed afterwards, so runs neither collide with each other nor with services running on the same servers.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private const string HowToStart =
        "Integration tests need RabbitMQ and PostgreSQL. Start them with 'scripts/infra.sh up' and export their addresses with " +
        "'eval \"$(scripts/infra.sh env)\"' (PIPELINE_RABBITMQ_HOST, PIPELINE_RABBITMQ_PORT, PIPELINE_RABBITMQ_USER, " +
        "PIPELINE_RABBITMQ_PASSWORD, PIPELINE_POSTGRES), or run the tests where a Docker engine answers (Testcontainers).";

    private readonly string runId = $"{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..6]}";
    private readonly List<string> schemas = [];
    private RabbitMqContainer? rabbitContainer;
    private PostgreSqlContainer? postgresContainer;
    private Uri? managementUrl;

    public string RabbitMqHost { get; private set; } = "";
    public ushort RabbitMqPort { get; private set; }
    public string RabbitMqUsername { get; private set; } = "";
    public string RabbitMqPassword { get; private set; } = "";
    public string RabbitMqVirtualHost { get; private set; } = "/";
    public string PostgresConnectionString { get; private set; } = "";

    private readonly PrivateRabbitMq? broker;
    private int schemaCount;

    public InfrastructureFixture()
    {
    }

    /// <summary>With a RabbitMQ node of one test's own instead of the shared one (its default virtual host).</summary>
    internal InfrastructureFixture(PrivateRabbitMq? broker) => this.broker = broker;

    /// <summary>The settings a service reads (RabbitMq:*, ConnectionStrings:Postgres), pointing at this run's servers.</summary>
    public Dictionary<string, string?> ServiceSettings() => new()
    {
        ["RabbitMq:Host"] = RabbitMqHost,
        ["RabbitMq:Port"] = RabbitMqPort.ToString(),
        ["RabbitMq:Username"] = RabbitMqUsername,
        ["RabbitMq:Password"] = RabbitMqPassword,
        ["RabbitMq:VirtualHost"] = RabbitMqVirtualHost,
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
        // Each test's schema is new and the services run as its owner: they create their tables on first use.
        [MartenConfiguration.AutoCreateSetting] = "CreateOrUpdate",
        // Every test writes its datasets under the temp folder; the Downloader reads file:// only under named roots.
        ["Downloader:AllowedRoots:0"] = Path.GetTempPath(),
    };

    /// <summary>
    /// A PostgreSQL schema of its own for one test (Marten creates its tables on first use); dropped when the run ends.
    /// Numbered per call: tests of one class share a purpose, and a test that failed early leaves rows (an undelivered
    /// outbox row) the next one would count.
    /// </summary>
    public string NewSchema(string purpose)
    {
        var schema = $"test_{runId}_{purpose}_{Interlocked.Increment(ref schemaCount)}".ToLowerInvariant();
        lock (schemas)
        {
            schemas.Add(schema);
        }

        // Created once here: the test's own stores and the services it starts would otherwise race to create it,
        // and two concurrent CREATE SCHEMA IF NOT EXISTS can fail one of them on pg_namespace's key.
        using var connection = new NpgsqlConnection(PostgresConnectionString);
        connection.Open();
        using var create = new NpgsqlCommand($"create schema if not exists \"{schema}\"", connection);
        create.ExecuteNonQuery();
        return schema;
    }

    public async Task InitializeAsync()
    {
        var env = Environment.GetEnvironmentVariables();
        string? Read(string name) => env[name] as string is { Length: > 0 } value ? value : null;
        var rabbitHost = Read("PIPELINE_RABBITMQ_HOST");
        var postgres = Read("PIPELINE_POSTGRES");

        if (rabbitHost is not null && postgres is not null)
        {
            RabbitMqHost = rabbitHost;
            RabbitMqPort = ushort.Parse(Read("PIPELINE_RABBITMQ_PORT") ?? "5672");
            RabbitMqUsername = Read("PIPELINE_RABBITMQ_USER") ?? throw new InvalidOperationException($"PIPELINE_RABBITMQ_USER is not set. {HowToStart}");
            RabbitMqPassword = Read("PIPELINE_RABBITMQ_PASSWORD") ?? throw new InvalidOperationException($"PIPELINE_RABBITMQ_PASSWORD is not set. {HowToStart}");
            PostgresConnectionString = postgres;
            managementUrl = Read("PIPELINE_RABBITMQ_MANAGEMENT_URL") is { } url ? new Uri(url) : null;
            if (broker is not null)
            {
                (RabbitMqHost, RabbitMqPort, RabbitMqUsername, RabbitMqPassword) = ("127.0.0.1", (ushort)broker.Port, broker.Username, broker.Password);
                managementUrl = null;
            }
        }
        else if (rabbitHost is not null || postgres is not null)
        {
            throw new InvalidOperationException($"Only one of PIPELINE_RABBITMQ_HOST and PIPELINE_POSTGRES is set. {HowToStart}");
        }
        else if (DockerMayAnswer())
        {
            await StartContainers();
        }
        else
        {
            throw new InvalidOperationException($"No servers given and no Docker engine found. {HowToStart}");
        }

        await CheckPostgres();
        await CreateVirtualHost();
    }

    public async Task DisposeAsync()
    {
        // Nothing was started when InitializeAsync failed for lack of servers.
        if (PostgresConnectionString.Length == 0)
        {
            return;
        }

        try
        {
            await using var connection = new NpgsqlConnection(PostgresConnectionString);
            await connection.OpenAsync();
            foreach (var schema in schemas.Distinct())
            {
                await using var drop = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
            // The servers went away first: nothing left to clean.
        }

        if (managementUrl is not null && RabbitMqVirtualHost != "/")
        {
            using var client = ManagementClient();
            await client.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(RabbitMqVirtualHost)}");
        }

        if (rabbitContainer is not null)
        {
            await rabbitContainer.DisposeAsync();
        }

        if (postgresContainer is not null)
        {
            await postgresContainer.DisposeAsync();
        }
    }

    private static bool DockerMayAnswer() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private async Task StartContainers()
    {
        try
        {
            rabbitContainer = new RabbitMqBuilder("rabbitmq:3.13-management").Build();
            postgresContainer = new PostgreSqlBuilder("postgres:15").Build();
            await Task.WhenAll(rabbitContainer.StartAsync(), postgresContainer.StartAsync());
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"Docker did not start the servers ({exception.Message}). {HowToStart}", exception);
        }

        var amqp = new Uri(rabbitContainer.GetConnectionString());
        RabbitMqHost = amqp.Host;
        RabbitMqPort = (ushort)amqp.Port;
        var credentials = Uri.UnescapeDataString(amqp.UserInfo).Split(':', 2);
        (RabbitMqUsername, RabbitMqPassword) = (credentials[0], credentials.ElementAtOrDefault(1) ?? "");
        PostgresConnectionString = postgresContainer.GetConnectionString();
        managementUrl = new UriBuilder("http", rabbitContainer.Hostname, rabbitContainer.GetMappedPublicPort(15672)).Uri;
    }

    private async Task CheckPostgres()
    {
        try
        {
            await using var connection = new NpgsqlConnection(PostgresConnectionString);
            await connection.OpenAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new InvalidOperationException($"PostgreSQL at '{PostgresConnectionString}' does not answer ({exception.Message}). {HowToStart}", exception);
        }
    }

    // A virtual host per run keeps this run's queues (and the stage commands nobody consumes here) away from real services.
    private async Task CreateVirtualHost()
    {
        if (managementUrl is null)
        {
            return;
        }

        var virtualHost = $"pipeline-test-{runId}";
        try
        {
            using var client = ManagementClient();
            (await client.PutAsync($"api/vhosts/{Uri.EscapeDataString(virtualHost)}", JsonContent.Create(new { }))).EnsureSuccessStatusCode();
            var permissions = JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" });
            (await client.PutAsync($"api/permissions/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(RabbitMqUsername)}", permissions))
                .EnsureSuccessStatusCode();
            RabbitMqVirtualHost = virtualHost;
        }
        catch (HttpRequestException)
        {
            // No management API: the tests share the default virtual host; their queue names stay the services' own.
            managementUrl = null;
        }
    }

    /// <summary>
    /// Gives <paramref name="user"/> in this run's virtual host the permissions scripts/infra.sh gave it on the default
    /// one (RabbitMQ checks names, the same in every virtual host), so a test can act as that service here.
    /// </summary>
    public async Task GrantAsOnDefaultVirtualHostAsync(string user)
    {
        if (managementUrl is null || RabbitMqVirtualHost == "/")
        {
            throw new InvalidOperationException("No management API: this run has no virtual host of its own to grant in.");
        }

        using var client = ManagementClient();
        var permissions = await client.GetFromJsonAsync<VirtualHostPermissions>($"api/permissions/%2F/{Uri.EscapeDataString(user)}")
            ?? throw new InvalidOperationException($"{user} has no permissions on the default virtual host.");
        (await client.PutAsync($"api/permissions/{Uri.EscapeDataString(RabbitMqVirtualHost)}/{Uri.EscapeDataString(user)}", JsonContent.Create(permissions)))
            .EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Gives <paramref name="user"/> in this run's virtual host the permission this checkout's scripts/infra.sh declares for
    /// <paramref name="service"/> (<c>infra.sh permissions</c>, no server needed), so a test holds the declaration itself
    /// rather than whatever the shared broker was last given.
    /// </summary>
    public async Task GrantAsDeclaredAsync(string service, string user)
    {
        if (managementUrl is null || RabbitMqVirtualHost == "/")
        {
            throw new InvalidOperationException("No management API: this run has no virtual host of its own to grant in.");
        }

        var start = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(ServiceProcess.RepositoryRoot, "scripts", "infra.sh"), "permissions"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var script = System.Diagnostics.Process.Start(start)!;
        var output = await script.StandardOutput.ReadToEndAsync();
        await script.WaitForExitAsync();
        // NAME, configure, write, read.
        var declared = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))
            .SingleOrDefault(parts => parts[0] == service)
            ?? throw new InvalidOperationException($"scripts/infra.sh permissions declares no {service}: {await script.StandardError.ReadToEndAsync()}");
        using var client = ManagementClient();
        (await client.PutAsync($"api/permissions/{Uri.EscapeDataString(RabbitMqVirtualHost)}/{Uri.EscapeDataString(user)}",
            JsonContent.Create(new VirtualHostPermissions(declared[1], declared[2], declared[3])))).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Whether the services can log in as themselves here: the servers are the ones scripts/infra.sh started, which made
    /// each service's accounts (a private node of one test's own, or a Testcontainers server, has only its administrator).
    /// </summary>
    public bool HasServiceAccounts => broker is null && rabbitContainer is null && managementUrl is not null && RabbitMqVirtualHost != "/";

    /// <summary>
    /// The settings under which <paramref name="service"/> logs in as itself, as in production: its own RabbitMQ user,
    /// granted in this run's virtual host exactly what scripts/infra.sh declares for it, and its own PostgreSQL role (or no
    /// connection string, for a service the script gives no database login), with Marten's tables left to the owner's
    /// apply-schema. A permission a service lacks then fails the test that needs it.
    /// </summary>
    public async Task<Dictionary<string, string?>> OwnAccountSettingsAsync(string service)
    {
        var account = Account(service);
        await GrantAsDeclaredAsync(service, account.RabbitMqUser);
        return new Dictionary<string, string?>
        {
            ["RabbitMq:Username"] = account.RabbitMqUser,
            ["RabbitMq:Password"] = account.RabbitMqPassword,
            ["ConnectionStrings:Postgres"] = account.Postgres,
            [MartenConfiguration.AutoCreateSetting] = null,
        };
    }

    /// <summary>A service's accounts as 'scripts/infra.sh env' prints them (PIPELINE_&lt;SERVICE&gt;_RABBITMQ_USER/_PASSWORD, _POSTGRES).</summary>
    public static ServiceAccount Account(string service)
    {
        var prefix = $"PIPELINE_{service.ToUpperInvariant()}_";
        string? Read(string name) => Environment.GetEnvironmentVariable(prefix + name) is { Length: > 0 } value ? value : null;
        string Required(string name) => Read(name) ?? throw new InvalidOperationException(
            $"{prefix}{name} is not set: the services run under their own accounts, which 'scripts/infra.sh up' makes; run 'eval \"$(scripts/infra.sh env)\"'.");
        return new ServiceAccount(Required("RABBITMQ_USER"), Required("RABBITMQ_PASSWORD"), Read("POSTGRES"));
    }

    private sealed record VirtualHostPermissions(string Configure, string Write, string Read);

    /// <summary>
    /// A queue's consumers and ready messages in this run's virtual host, read exactly by a passive declare over AMQP
    /// (the management API's figures are samples that lag by seconds); null while the queue does not exist.
    /// </summary>
    public async Task<QueueCounts?> QueueCountsAsync(string queue)
    {
        await using var connection = await ConnectAsync("integration-tests-queue-counts");
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue);
            return new QueueCounts((int)declared.ConsumerCount, (int)declared.MessageCount);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a message whose envelope carries <paramref name="messageId"/> waits in <paramref name="queue"/>. Every
    /// message looked at goes back unacknowledged when the channel closes. Other tests share this run's virtual host, so
    /// a test asks for its own message, not for a count.
    /// </summary>
    public async Task<bool> QueueHoldsAsync(string queue, Guid messageId)
    {
        await using var connection = await ConnectAsync("integration-tests-peek");
        await using var channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
        {
            try
            {
                using var envelope = System.Text.Json.JsonDocument.Parse(message.Body);
                if (envelope.RootElement.TryGetProperty("messageId", out var id) && id.TryGetGuid(out var found) && found == messageId)
                {
                    return true;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Another test's message in another format: not ours.
            }
        }

        return false;
    }

    /// <summary>Empties queues of this run's virtual host, so what one test queued never reaches the next; a missing queue is fine.</summary>
    public async Task PurgeAsync(params string[] queues)
    {
        await using var connection = await ConnectAsync("integration-tests-purge");
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueuePurgeAsync(queue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
            {
                // Never declared: nothing to purge.
            }
        }
    }

    /// <summary>
    /// Declares receive endpoints' queues as MassTransit does (a durable queue, and a fanout exchange of its name bound to
    /// it), as the services would before a test's messages reach them.
    /// </summary>
    public async Task DeclareQueuesAsync(params string[] queues)
    {
        await using var connection = await ConnectAsync("integration-tests-declare");
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            await channel.ExchangeDeclareAsync(queue, RabbitMQ.Client.ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueBindAsync(queue, queue, "");
        }
    }

    /// <summary>Declares <paramref name="queue"/> as MassTransit does (durable) and puts <paramref name="body"/> in it, confirmed.</summary>
    public async Task SendRawToQueueAsync(string queue, string body, IDictionary<string, object?>? headers = null)
    {
        await using var connection = await ConnectAsync("raw-sender");
        await using var channel = await connection.CreateChannelAsync(
            new RabbitMQ.Client.CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var properties = new RabbitMQ.Client.BasicProperties
        {
            ContentType = "application/vnd.masstransit+json", Persistent = true, MessageId = Guid.NewGuid().ToString(), Headers = headers,
        };
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Publishes bytes to an exchange as a client in another language would: no MassTransit on this side.</summary>
    public async Task PublishRawAsync(string exchange, string body, string contentType)
    {
        await using var connection = await ConnectAsync("raw-publisher");
        await using var channel = await connection.CreateChannelAsync(
            new RabbitMQ.Client.CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new RabbitMQ.Client.BasicProperties { ContentType = contentType, Persistent = true };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    private Task<RabbitMQ.Client.IConnection> ConnectAsync(string purpose) =>
        new RabbitMQ.Client.ConnectionFactory
        {
            HostName = RabbitMqHost, Port = RabbitMqPort, UserName = RabbitMqUsername, Password = RabbitMqPassword,
            VirtualHost = RabbitMqVirtualHost, ClientProvidedName = purpose,
        }.CreateConnectionAsync();

    private HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = managementUrl, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitMqUsername}:{RabbitMqPassword}")));
        return client;
    }
}

public sealed record QueueCounts(int Consumers, int Messages);

/// <summary>A service's own logins; <see cref="Postgres"/> is null for a service with no database login.</summary>
public sealed record ServiceAccount(string RabbitMqUser, string RabbitMqPassword, string? Postgres);
