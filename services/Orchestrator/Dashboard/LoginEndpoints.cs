using System.Text.Json.Serialization;

namespace Pipeline.Orchestrator.Dashboard;

/// <summary>
/// The dashboard's login: <c>POST /login</c> with a token, or with a one-time code, answers with the session cookie
/// (<see cref="SessionCookie"/>); <c>POST /login/codes</c> gives a bearer of a token such a code for its own role (the
/// command line prints the dashboard's address with one); <c>GET /session</c> says whose session a page has.
/// </summary>
public static class LoginEndpoints
{
    public const string Path = "/login";

    public static WebApplication MapLogin(this WebApplication app)
    {
        app.MapPost(Path, LogIn).AllowWithoutCredential();
        app.MapPost("/logout", (HttpResponse response) =>
        {
            SessionCookie.End(response);
            return Results.NoContent();
        }).AllowWithoutCredential();
        app.MapPost($"{Path}/codes", IssueCode);
        app.MapGet("/session", (HttpContext context) => Results.Ok(new { role = ApiAccess.RoleOf(context).ToString() }));
        return app;
    }

    public sealed record Credential
    {
        public string? Token { get; init; }
        public string? Code { get; init; }
    }

    public sealed record LoginCode([property: JsonPropertyName("code")] string Code, [property: JsonPropertyName("path")] string Path);

    private static IResult LogIn(Credential credential, HttpResponse response, ApiTokens tokens, SessionCookie session, LoginCodes codes)
    {
        var (role, token) = credential switch
        {
            { Code: { Length: > 0 } code } => codes.Redeem(code) is { } redeemed ? (redeemed.Role, redeemed.Token) : (default(ApiRole?), ""),
            { Token: { Length: > 0 } given } => (tokens.RoleOf(given), given),
            _ => (default(ApiRole?), ""),
        };
        if (role is not { } granted)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not logged in",
                detail: credential.Code is { Length: > 0 }
                    ? "That login link was used already or has expired: ask 'pipeline dashboard' for a new one, or give a token."
                    : $"That is not a token of {tokens.Section}:ViewerTokens or {tokens.Section}:OperatorTokens.");
        }

        session.Issue(response, granted, token);
        return Results.Ok(new { role = granted.ToString() });
    }

    /// <summary>A code for the bearer's own role, signed later with the bearer's token: a session cookie cannot ask for one.</summary>
    private static IResult IssueCode(HttpContext context, ApiTokens tokens, LoginCodes codes)
    {
        const string scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (tokens.RoleOf(token) is not { } role)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "A token is needed",
                detail: "A login code is given for a bearer token, not for a session.");
        }

        var code = codes.Issue(role, token);
        return Results.Ok(new LoginCode(code, $"{Path}#code={code}"));
    }
}
