using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Pipeline.Hosting.Web;

/// <summary>
/// Who may use a service's HTTP API: over loopback anyone may read and, while no token is configured, act; from beyond
/// loopback (docker-compose publishes the port) every request needs the token, and none is served without one.
/// </summary>
public static class ApiAccess
{
    public enum Access
    {
        Read,
        Act,
    }

    /// <summary>Reads the API's token from <paramref name="setting"/> (e.g. <c>StatusApi:Token</c>) once, at start.</summary>
    public static IServiceCollection AddApiToken(this IServiceCollection services, IConfiguration configuration, string setting) =>
        services.AddSingleton(new ApiToken(configuration[setting], setting));

    /// <summary>Every request that did not come over loopback must carry the token; health checks excepted (probes).</summary>
    public static WebApplication RequireTokenBeyondLoopback(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var refusal = context.Request.Path.StartsWithSegments("/health")
                ? null
                : Judge(context, context.RequestServices.GetRequiredService<ApiToken>(), Access.Read);
            await (refusal is null ? next(context) : refusal.ExecuteAsync(context));
        });
        return app;
    }

    /// <summary>Actions need the token whenever one is configured, and one always beyond loopback.</summary>
    public static TBuilder RequireActionToken<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder =>
        endpoints.AddEndpointFilter(async (invocation, next) =>
            Judge(invocation.HttpContext, invocation.HttpContext.RequestServices.GetRequiredService<ApiToken>(), Access.Act)
                is { } refusal ? refusal : await next(invocation));

    /// <summary>Why a request may not go on, as the answer to send; null when it may.</summary>
    public static IResult? Judge(HttpContext context, ApiToken token, Access access)
    {
        var open = IsLoopback(context) && (access == Access.Read || string.IsNullOrEmpty(token.Value));
        return open ? null : Refusal(context, token);
    }

    private static IResult? Refusal(HttpContext context, ApiToken token)
    {
        if (string.IsNullOrEmpty(token.Value))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No token is configured",
                detail: $"Set {token.Setting} to use this over a network; without one only loopback connections may.");
        }

        const string scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        // Compared in constant time: how long a wrong token took must not tell how much of it was right.
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token.Value)))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong or missing token",
            detail: $"Send 'Authorization: Bearer <{token.Setting}>'.");
    }

    private static bool IsLoopback(HttpContext context) =>
        context.Connection.LocalIpAddress is { } local && IPAddress.IsLoopback(local)
        && context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
}
