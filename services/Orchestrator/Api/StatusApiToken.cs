namespace Pipeline.Orchestrator.Api;

/// <summary>The status API's one secret: who may read and act is judged by the shared <see cref="ApiAccess"/>.</summary>
public static class StatusApiToken
{
    /// <summary>
    /// The bearer token for actions (begin, stop, cancel, retry) and, on a connection that did not come over loopback,
    /// for every request. Unset: actions and reads only over loopback.
    /// </summary>
    public const string Setting = "StatusApi:Token";

    public static IServiceCollection AddStatusApiSettings(this IServiceCollection services, IConfiguration configuration) =>
        services.AddApiToken(configuration, Setting);
}
