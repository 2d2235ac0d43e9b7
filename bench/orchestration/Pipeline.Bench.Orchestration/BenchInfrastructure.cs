using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace Pipeline.Bench.Orchestration;

/// <summary>
/// The servers from the environment (<c>eval "$(scripts/infra.sh env)"</c>), with a RabbitMQ virtual host and a
/// PostgreSQL schema of this run's own, so nothing collides with services running on the same servers.
/// Both are removed by <see cref="DisposeAsync"/> (the schema unless kept).
/// </summary>
public sealed class BenchInfrastructure : IAsyncDisposable
{
    private readonly Uri managementUrl;
    private bool virtualHostCreated;

    private BenchInfrastructure(string runId)
    {
        string Read(string name, string? fallback = null) =>
            Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
            : fallback ?? throw new InvalidOperationException($"{name} is not set: run 'eval \"$(scripts/infra.sh env)\"' (the accounts have no defaults).");

        RabbitMqHost = Read("PIPELINE_RABBITMQ_HOST", "127.0.0.1");
        RabbitMqPort = Read("PIPELINE_RABBITMQ_PORT", "5672");
        RabbitMqUsername = Read("PIPELINE_RABBITMQ_USER");
        RabbitMqPassword = Read("PIPELINE_RABBITMQ_PASSWORD");
        managementUrl = new Uri(Read("PIPELINE_RABBITMQ_MANAGEMENT_URL", $"http://{RabbitMqHost}:15672"));
        PostgresConnectionString = Read("PIPELINE_POSTGRES");
        VirtualHost = $"pipeline-bench-{runId}";
        Schema = $"bench_orchestration_{runId}".Replace('-', '_');
    }

    public string RabbitMqHost { get; }
    public string RabbitMqPort { get; }
    public string RabbitMqUsername { get; }
    public string RabbitMqPassword { get; }
    public string PostgresConnectionString { get; }
    public string VirtualHost { get; }
    public string Schema { get; }
    public bool KeepSchema { get; set; }

    /// <summary>The settings every service reads (RabbitMq:*, ConnectionStrings:Postgres), pointing at this run's vhost.</summary>
    public Dictionary<string, string?> ServiceSettings() => new()
    {
        ["RabbitMq:Host"] = RabbitMqHost,
        ["RabbitMq:Port"] = RabbitMqPort,
        ["RabbitMq:Username"] = RabbitMqUsername,
        ["RabbitMq:Password"] = RabbitMqPassword,
        ["RabbitMq:VirtualHost"] = VirtualHost,
        ["RabbitMq:ManagementUrl"] = managementUrl.ToString(),
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
        ["Marten:AutoCreate"] = "CreateOrUpdate",
    };

    public static async Task<BenchInfrastructure> CreateAsync()
    {
        var infrastructure = new BenchInfrastructure($"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        await infrastructure.CheckPostgres();
        await infrastructure.CreateVirtualHost();
        return infrastructure;
    }

    public async ValueTask DisposeAsync()
    {
        if (!KeepSchema)
        {
            try
            {
                await using var connection = new NpgsqlConnection(PostgresConnectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"drop schema if exists \"{Schema}\" cascade", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException exception)
            {
                Console.Error.WriteLine($"Could not drop schema {Schema}: {exception.Message}");
            }
        }

        if (virtualHostCreated)
        {
            try
            {
                using var client = ManagementClient();
                await client.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
            }
            catch (HttpRequestException exception)
            {
                Console.Error.WriteLine($"Could not delete virtual host {VirtualHost}: {exception.Message}");
            }
        }
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
            throw new InvalidOperationException(
                $"PostgreSQL does not answer ({exception.Message}). Run 'scripts/infra.sh up' and 'eval \"$(scripts/infra.sh env)\"'.", exception);
        }
    }

    // Without a vhost of its own the bench would drive whatever stage services listen on the default one: refuse instead.
    private async Task CreateVirtualHost()
    {
        try
        {
            using var client = ManagementClient();
            (await client.PutAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}", JsonContent.Create(new { }))).EnsureSuccessStatusCode();
            virtualHostCreated = true;
            var permissions = JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" });
            (await client.PutAsync($"api/permissions/{Uri.EscapeDataString(VirtualHost)}/{Uri.EscapeDataString(RabbitMqUsername)}", permissions))
                .EnsureSuccessStatusCode();
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException(
                $"The RabbitMQ management API at {managementUrl} did not create virtual host {VirtualHost} ({exception.Message}). " +
                "Set PIPELINE_RABBITMQ_MANAGEMENT_URL ('scripts/infra.sh env' prints it).", exception);
        }
    }

    private HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = managementUrl, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitMqUsername}:{RabbitMqPassword}")));
        return client;
    }
}
