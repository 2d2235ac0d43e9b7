namespace Pipeline.Hosting.Web;

/// <summary>An HTTP API's one secret, and the setting it is read from (named to the client it refuses).</summary>
/// <param name="Value">The bearer token; null or empty when none is configured.</param>
/// <param name="Setting">Where it comes from, as configuration names it: <c>StatusApi:Token</c>.</param>
public sealed record ApiToken(string? Value, string Setting);
