using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Pipeline.Orchestrator.Api;

/// <summary>The status API's one secret, from the <c>StatusApi</c> section.</summary>
public sealed class StatusApiSettings
{
    public const string Section = "StatusApi";

    /// <summary>
    /// The bearer token for actions (begin, cancel, retry) and, on a connection that did not come over loopback, for
    /// every request. Unset: actions and reads only over loopback.
    /// </summary>
    public string? Token { get; set; }
}

/// <summary>
/// Who may use the status API: over loopback anyone may read and, while no token is configured, act; from beyond
/// loopback (docker-compose publishes the port) every request needs the token, and none is served without one.
/// </summary>
public static class ActionToken
{
    public static IServiceCollection AddStatusApiSettings(this IServiceCollection services, IConfiguration configuration) =>
        services.Configure<StatusApiSettings>(configuration.GetSection(StatusApiSettings.Section));

    /// <summary>Every request that did not come over loopback must carry the token; health checks excepted (probes).</summary>
    public static WebApplication RequireTokenBeyondLoopback(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var refusal = context.Request.Path.StartsWithSegments("/health")
                ? null
                : Judge(context, context.RequestServices.GetRequiredService<IOptions<StatusApiSettings>>().Value, Access.Read);
            await (refusal is null ? next(context) : refusal.ExecuteAsync(context));
        });
        return app;
    }

    /// <summary>Actions need the token whenever one is configured, and one always beyond loopback.</summary>
    public static TBuilder RequireActionToken<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.AddEndpointFilter(async (invocation, next) =>
            Judge(invocation.HttpContext, invocation.HttpContext.RequestServices.GetRequiredService<IOptions<StatusApiSettings>>().Value, Access.Act)
                is { } refusal ? refusal : await next(invocation));

    public enum Access
    {
        Read,
        Act,
    }

    /// <summary>Why a request may not go on, as the answer to send; null when it may.</summary>
    public static IResult? Judge(HttpContext context, StatusApiSettings settings, Access access)
    {
        var open = IsLoopback(context) && (access == Access.Read || string.IsNullOrEmpty(settings.Token));
        return open ? null : Refusal(context, settings);
    }

    private static IResult? Refusal(HttpContext context, StatusApiSettings settings)
    {
        if (string.IsNullOrEmpty(settings.Token))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No token is configured",
                detail: "Set StatusApi:Token to use this over a network; without one only loopback connections may.");
        }

        const string scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        // Compared in constant time: how long a wrong token took must not tell how much of it was right.
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(settings.Token)))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong or missing token",
            detail: "Send 'Authorization: Bearer <StatusApi:Token>'.");
    }

    private static bool IsLoopback(HttpContext context) =>
        context.Connection.LocalIpAddress is { } local && IPAddress.IsLoopback(local)
        && context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
}
