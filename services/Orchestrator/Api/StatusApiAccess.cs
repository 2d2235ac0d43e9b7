using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Api;

/// <summary>Who may read and act on the status API and the dashboard: judged by the shared <see cref="ApiAccess"/>.</summary>
public static class StatusApiAccess
{
    /// <summary>
    /// The section of the status API's tokens: <c>StatusApi:ViewerTokens</c> (reads, the dashboard, the event stream) and
    /// <c>StatusApi:OperatorTokens</c> (actions as well), and <c>StatusApi:SessionLifetime</c> of a dashboard login.
    /// </summary>
    public const string Section = StatusApiSettings.Section;

    public static IServiceCollection AddStatusApiSettings(this IServiceCollection services, IConfiguration configuration) =>
        services.AddApiAccess(configuration, Section);
}
