using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Hosting.Web;

/// <summary>The configured tokens, each with its role; <paramref name="section"/> names the settings in messages.</summary>
public sealed class ApiTokens(ApiAccessSettings settings, string section)
{
    private readonly IReadOnlyList<(byte[] Token, ApiRole Role)> tokens =
    [
        .. settings.OperatorTokens.Where(token => !string.IsNullOrWhiteSpace(token)).Select(token => (Encoding.UTF8.GetBytes(token.Trim()), ApiRole.Operator)),
        .. settings.ViewerTokens.Where(token => !string.IsNullOrWhiteSpace(token)).Select(token => (Encoding.UTF8.GetBytes(token.Trim()), ApiRole.Viewer)),
    ];

    public string Section { get; } = section;

    public ApiAccessSettings Settings { get; } = settings;

    public bool Any => tokens.Count > 0;

    /// <summary>The role the token is configured for; null for a token nobody configured.</summary>
    public ApiRole? RoleOf(string given)
    {
        // Hashed first so every comparison is of equal length, and each done in constant time, all of them every
        // time: how long a wrong token took must not tell how much of it was right, nor which list it came near.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        ApiRole? found = null;
        foreach (var (token, role) in tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(token)) && found is null)
            {
                found = role;
            }
        }

        return found;
    }

    /// <summary>The tokens of one role, as the keys session cookies are signed with.</summary>
    internal IEnumerable<byte[]> Of(ApiRole role) => tokens.Where(entry => entry.Role == role).Select(entry => entry.Token);
}
