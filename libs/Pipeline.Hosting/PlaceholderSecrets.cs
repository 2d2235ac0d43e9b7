using Microsoft.Extensions.Configuration;

namespace Pipeline.Hosting;

/// <summary>
/// .env.example's passwords and tokens are placeholders that all contain <see cref="Marker"/>: a service given one (a
/// .env copied and never edited) refuses to start, naming the setting, rather than run with a secret everyone knows.
/// </summary>
public static class PlaceholderSecrets
{
    public const string Marker = "change-me";

    /// <exception cref="InvalidOperationException">a setting holds a placeholder.</exception>
    public static void Refuse(IConfiguration configuration)
    {
        var placeholders = configuration.AsEnumerable()
            .Where(setting => setting.Value?.Contains(Marker, StringComparison.OrdinalIgnoreCase) == true)
            .Select(setting => setting.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (placeholders.Count > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(", ", placeholders)} still hold .env.example's placeholder ('{Marker}…'): set a secret of your own " +
                "in .env (`openssl rand -hex 20` makes one) before starting the services.");
        }
    }
}
