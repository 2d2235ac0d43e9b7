using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Pipeline.Hosting.Web;

/// <summary>
/// One-time logins: a holder of a token asks for a code (the command line does, for the dashboard link it prints),
/// and the first browser to bring the code gets a session of the token's role. Kept in this process's memory only: a
/// code is good once, for <see cref="Lifetime"/>, at the replica that issued it.
/// </summary>
public sealed class LoginCodes(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, (ApiRole Role, string Token, DateTimeOffset Expires)> codes = new();

    public string Issue(ApiRole role, string token)
    {
        var now = clock.GetUtcNow();
        foreach (var (stale, _) in codes.Where(entry => entry.Value.Expires <= now))
        {
            codes.TryRemove(stale, out _);
        }

        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        codes[code] = (role, token, now + Lifetime);
        return code;
    }

    /// <summary>The role and token the code was issued for, once; null for an unknown, used or expired code.</summary>
    public (ApiRole Role, string Token)? Redeem(string code) =>
        codes.TryRemove(code, out var entry) && entry.Expires > clock.GetUtcNow() ? (entry.Role, entry.Token) : null;
}
