using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Hosting.Web;

/// <summary>
/// The dashboard's session: what its login page hands a browser for a token, so that page loads and its EventSource
/// (which cannot send headers) carry a credential. HttpOnly (no script reads it), SameSite=Strict (no other site's
/// page sends it), expiring. Signed with the token it was made for, as <c>role.expires.nonce.mac</c>: every replica that
/// holds the token accepts it, and removing the token from the settings ends its sessions too.
/// </summary>
public sealed class SessionCookie(ApiTokens tokens, TimeProvider clock)
{
    public const string Name = "pipeline-session";

    /// <summary>Sets the cookie on the response for a session of <paramref name="role"/>, made from <paramref name="token"/>.</summary>
    public void Issue(HttpResponse response, ApiRole role, string token)
    {
        var lifetime = tokens.Settings.SessionLifetime;
        var expires = clock.GetUtcNow().Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var payload = $"{role}.{expires}.{nonce}";
        response.Cookies.Append(Name, $"{payload}.{Mac(Encoding.UTF8.GetBytes(token.Trim()), payload)}", new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", MaxAge = lifetime, IsEssential = true,
            // Secure only where the request came over https: the browser would drop it on plain http, which a laptop's own runner serves.
            Secure = response.HttpContext.Request.IsHttps,
        });
    }

    public static void End(HttpResponse response) => response.Cookies.Delete(Name, new CookieOptions { Path = "/" });

    /// <summary>The role of a session cookie that is well-formed, unexpired and signed with a token configured now; else null.</summary>
    public ApiRole? Read(string? cookie)
    {
        var parts = cookie?.Split('.');
        if (parts is not { Length: 4 } || !Enum.TryParse<ApiRole>(parts[0], out var role) || !Enum.IsDefined(role)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || clock.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        var payload = string.Join('.', parts[..3]);
        var given = Encoding.ASCII.GetBytes(parts[3]);
        var valid = false;
        foreach (var token in tokens.Of(role))
        {
            valid |= CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Mac(token, payload)));
        }

        return valid ? role : null;
    }

    private static string Mac(byte[] key, string payload) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("pipeline-session." + payload)));
}
