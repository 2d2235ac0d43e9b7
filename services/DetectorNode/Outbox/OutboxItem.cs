namespace Pipeline.DetectorNode.Outbox;

/// <summary>One uncertain image waiting in the local outbox: its folder holds <c>image.&lt;ext&gt;</c> and <c>detections.json</c>.</summary>
public sealed record OutboxItem(Guid Id, string Folder, string ImageFile, long Bytes);
