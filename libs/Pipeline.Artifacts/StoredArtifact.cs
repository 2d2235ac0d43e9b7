namespace Pipeline.Artifacts;

public sealed record StoredArtifact(string Key, string Sha256, long Length);
