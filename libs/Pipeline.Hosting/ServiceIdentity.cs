namespace Pipeline.Hosting;

/// <summary>
/// The name a service is set up under (<c>AddPipelineDefaults("orchestrator", …)</c>): in its logs, and on what it
/// leaves for itself in shared tables (the outbox rows its relay, with its own broker account, delivers).
/// </summary>
public sealed record ServiceIdentity(string Name);
