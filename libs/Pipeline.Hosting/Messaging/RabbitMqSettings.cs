namespace Pipeline.Hosting.Messaging;

public sealed class RabbitMqSettings
{
    public const string Section = "RabbitMq";

    public string Host { get; set; } = "127.0.0.1";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "pipeline";
    public string Password { get; set; } = "pipeline";

    /// <summary>The management API, read by the command line tool for queue depths.</summary>
    public string ManagementUrl { get; set; } = "http://127.0.0.1:15672";
}
