using System.Text.RegularExpressions;

namespace Pipeline.Contracts;

/// <summary>
/// What an organization's or a project's name may be. Both become parts of keys and paths (<c>{organization}/{project}</c>:
/// the version counter, the current model, the inbox), so neither may hold '/' and ("a/b", "c") never meets ("a", "b/c");
/// lower case only, so two names never differ by case alone where a file system ignores it.
/// </summary>
public static partial class ProjectNames
{
    public const string Pattern = "^[a-z0-9][a-z0-9._-]{0,62}$";

    public const string Rule = "1 to 63 of a-z, 0-9, '.', '_', '-', beginning with a letter or digit";

    public static bool IsValid(string? name) => name is not null && Valid().IsMatch(name);

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Valid();
}
