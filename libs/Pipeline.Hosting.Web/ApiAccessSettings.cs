namespace Pipeline.Hosting.Web;

/// <summary>
/// Who may use a service's HTTP API, bound from the service's own section (<c>StatusApi</c>, <c>DetectorNode</c>):
/// tokens per role, several each so that one can be revoked without the others, and how long a dashboard login lasts.
/// </summary>
public sealed class ApiAccessSettings
{
    /// <summary>
    /// The names a request's Host may carry (ASP.NET Core's own <c>AllowedHosts</c> setting, ';'-separated), so a page
    /// on another name that resolves here (DNS rebinding) is answered 400. Unset: these.
    /// </summary>
    public const string AllowedHostsSetting = "AllowedHosts";

    public static readonly IReadOnlyList<string> DefaultAllowedHosts = ["localhost", "127.0.0.1", "[::1]"];

    public List<string> ViewerTokens { get; set; } = [];

    public List<string> OperatorTokens { get; set; } = [];

    /// <summary>How long a session cookie from the login page is good for.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);
}
