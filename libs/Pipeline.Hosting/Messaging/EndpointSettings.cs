namespace Pipeline.Hosting.Messaging;

/// <summary>Per-queue throughput, from <c>Endpoints:{queue}</c>; a stage scales by these and by running more copies.</summary>
public sealed class EndpointSettings
{
    public const string Section = "Endpoints";

    public int? PrefetchCount { get; set; }
    public int? ConcurrentMessageLimit { get; set; }
}
