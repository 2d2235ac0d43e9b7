namespace Pipeline.Contracts;

/// <summary>
/// What a training's or a model's id may be shortened to where a person types it (the CLI, the status API's idPrefix):
/// its first characters, at least four, of the hex digits and dashes a GUID is written with; never a LIKE pattern.
/// </summary>
public static class IdPrefix
{
    public const string Pattern = "^[0-9a-fA-F-]{4,36}$";
}
