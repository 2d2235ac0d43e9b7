namespace Pipeline.Contracts;

/// <summary>
/// What a service's process does when started with a verb instead of serving: the command line's local runner and
/// docker-compose start services so, and neither should need the service's storage library to know the word.
/// </summary>
public static class ServiceVerbs
{
    /// <summary><c>dotnet Pipeline.X.dll apply-schema</c>: creates or updates the service's tables, renews the grants, exits.</summary>
    public const string ApplySchema = "apply-schema";
}
