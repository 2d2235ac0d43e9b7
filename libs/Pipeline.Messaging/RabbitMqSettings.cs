namespace Pipeline.Messaging;

public sealed class RabbitMqSettings
{
    public const string Section = "RabbitMq";

    public string Host { get; set; } = "127.0.0.1";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";

    /// <summary>No default: every service has an account of its own (scripts/infra.sh generates them; compose takes them from .env).</summary>
    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>
    /// The longest a lost queue waits between two reconnects, before MassTransit's ±25% jitter (its own is 30 s, and grows
    /// there for good after a few outages): a queue consumes again within about this long after its broker is back.
    /// </summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The management API, read by the command line tool for queue depths.</summary>
    public string ManagementUrl { get; set; } = "http://127.0.0.1:15672";

    /// <summary>Refuses to connect without an account, naming the settings, instead of trying a default the broker should refuse.</summary>
    public RabbitMqSettings Validated()
    {
        string[] missing = [.. new[] { (nameof(Username), Username), (nameof(Password), Password) }
            .Where(setting => string.IsNullOrEmpty(setting.Item2))
            .Select(setting => $"{Section}:{setting.Item1}")];
        return missing.Length == 0
            ? this
            : throw new InvalidOperationException(
                $"{string.Join(" and ", missing)} not set: each service logs in to RabbitMQ with its own account " +
                $"({Section}__{nameof(Username)} and {Section}__{nameof(Password)}; 'scripts/infra.sh env' prints them, docker-compose reads them from .env).");
    }
}
