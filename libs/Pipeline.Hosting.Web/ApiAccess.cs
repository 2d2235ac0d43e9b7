using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Net.Http.Headers;

namespace Pipeline.Hosting.Web;

/// <summary>
/// Who may use a service's HTTP API. Where a request comes from is no credential: loopback, a container network and the
/// internet are judged alike. In order: the Host must be one of the configured names (ASP.NET Core's host filtering,
/// 400); a request from another origin is refused (403); a body must be of a type the API reads (415: a page on another
/// site can send text/plain or a form without asking, never JSON); then every endpoint but the public ones (health
/// probes, the login page) needs a viewer's credential, and actions an operator's: a bearer token, or the dashboard's
/// session cookie (401 without one, 403 for a viewer that acts).
/// </summary>
public static class ApiAccess
{
    public const string JsonBody = "application/json";

    /// <summary>Tokens from <c>{section}:ViewerTokens</c> and <c>{section}:OperatorTokens</c>, the allowed Host names, sessions and login codes.</summary>
    public static IServiceCollection AddApiAccess(this IServiceCollection services, IConfiguration configuration, string section)
    {
        var settings = configuration.GetSection(section).Get<ApiAccessSettings>() ?? new ApiAccessSettings();
        services.AddSingleton(new ApiTokens(settings, section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SessionCookie>();
        services.AddSingleton<LoginCodes>();
        var hosts = configuration[ApiAccessSettings.AllowedHostsSetting]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // Configured before the web host's own PostConfigure, which would otherwise let every name in ("*") when the setting is unset.
        services.Configure<HostFilteringOptions>(options => options.AllowedHosts = [.. hosts is { Length: > 0 } ? hosts : ApiAccessSettings.DefaultAllowedHosts]);
        return services;
    }

    /// <summary>Judges every request before its endpoint runs; <paramref name="bodyTypes"/> are the media types a body may have (JSON by default; <c>image/*</c> matches any image).</summary>
    public static WebApplication UseApiAccess(this WebApplication app, params string[] bodyTypes)
    {
        IReadOnlyList<string> accepted = bodyTypes.Length > 0 ? bodyTypes : [JsonBody];
        app.Use(async (context, next) =>
        {
            var refusal = Judge(context, accepted);
            await (refusal is null ? next(context) : refusal.ExecuteAsync(context));
        });
        return app;
    }

    /// <summary>Actions: only an operator's credential.</summary>
    public static TBuilder RequireOperator<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new ApiRoleMetadata(ApiRole.Operator));

    /// <summary>Served to anyone whose request passed the Host, origin and body checks: health probes, the login page.</summary>
    public static TBuilder AllowWithoutCredential<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new ApiRoleMetadata(null));

    /// <summary>A page a browser opens: without a credential it is sent to <paramref name="loginPath"/> rather than answered 401.</summary>
    public static TBuilder RedirectToLogin<TBuilder>(this TBuilder endpoints, string loginPath)
        where TBuilder : IEndpointConventionBuilder => endpoints.WithMetadata(new LoginRedirect(loginPath));

    /// <summary>The role the request's credential holds: a bearer token, else the session cookie; null without a valid one.</summary>
    public static ApiRole? RoleOf(HttpContext context)
    {
        var services = context.RequestServices;
        const string scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                ? services.GetRequiredService<ApiTokens>().RoleOf(header[scheme.Length..].Trim())
                : null;
        }

        return services.GetRequiredService<SessionCookie>().Read(context.Request.Cookies[SessionCookie.Name]);
    }

    /// <summary>Why a request may not go on, as the answer to send; null when it may.</summary>
    public static IResult? Judge(HttpContext context, IReadOnlyList<string> bodyTypes)
    {
        var request = context.Request;
        if (CrossOrigin(request) is { } crossing)
        {
            return Problem(StatusCodes.Status403Forbidden, "Cross-origin request refused", crossing);
        }

        if (HasBody(request) && !bodyTypes.Any(type => IsOfType(request.ContentType, type)))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported body type",
                $"A body here must be {string.Join(" or ", bodyTypes)}, not '{request.ContentType}'.");
        }

        var endpoint = context.GetEndpoint();
        // Unmatched paths need a credential as well: a 404 to anyone would map the API for them.
        var needed = endpoint?.Metadata.GetMetadata<ApiRoleMetadata>() is { } metadata ? metadata.Role : ApiRole.Viewer;
        if (needed is null)
        {
            return null;
        }

        var held = RoleOf(context);
        if (held is null)
        {
            if (endpoint?.Metadata.GetMetadata<LoginRedirect>() is { } login && HttpMethods.IsGet(request.Method))
            {
                return Results.Redirect(login.Path);
            }

            var tokens = context.RequestServices.GetRequiredService<ApiTokens>();
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return tokens.Any
                ? Problem(StatusCodes.Status401Unauthorized, "Wrong or missing token",
                    $"Send 'Authorization: Bearer <token>' with a token of {tokens.Section}:ViewerTokens (reads) or {tokens.Section}:OperatorTokens (actions), or log in on the dashboard.")
                : Problem(StatusCodes.Status401Unauthorized, "No token is configured",
                    $"Set {tokens.Section}:OperatorTokens:0 (and {tokens.Section}:ViewerTokens:0 for those who only read): without a token nobody is let in.");
        }

        return held < needed
            ? Problem(StatusCodes.Status403Forbidden, $"This needs the {needed} role",
                $"The credential given is a {held}'s: {context.RequestServices.GetRequiredService<ApiTokens>().Section}:{needed}Tokens hold the tokens that may.")
            : null;
    }

    /// <summary>
    /// Why the request comes from a page of another origin; null when it does not. A browser names the page's origin in
    /// Origin (always on a POST) and, in Sec-Fetch-Site, how it relates to ours; a tool sends neither. Following a link
    /// here from elsewhere stays possible: that navigation carries no session cookie (SameSite=Strict) and changes nothing.
    /// </summary>
    private static string? CrossOrigin(HttpRequest request)
    {
        var own = $"{request.Scheme}://{request.Host}";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase))
        {
            return $"Origin '{origin}' is not this API's own ({own}).";
        }

        var site = request.Headers["Sec-Fetch-Site"].ToString();
        var navigation = HttpMethods.IsGet(request.Method) && request.Headers["Sec-Fetch-Mode"] == "navigate";
        return site is "cross-site" or "same-site" && !navigation ? $"Sec-Fetch-Site is '{site}': only this API's own pages may call it." : null;
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsOfType(string? contentType, string accepted) =>
        MediaTypeHeaderValue.TryParse(contentType, out var given) && given.MediaType.Value is { } type
        && (accepted.EndsWith("/*", StringComparison.Ordinal)
            ? type.StartsWith(accepted[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(type, accepted, StringComparison.OrdinalIgnoreCase));

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);

    private sealed record ApiRoleMetadata(ApiRole? Role);

    private sealed record LoginRedirect(string Path);
}
