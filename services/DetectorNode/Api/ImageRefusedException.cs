namespace Pipeline.DetectorNode.Api;

/// <summary>An image the node will not run: the message says which and why, for the 400 the client gets.</summary>
public sealed class ImageRefusedException(string message, Exception? inner = null) : Exception(message, inner);
