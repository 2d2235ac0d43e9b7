namespace Pipeline.DetectorNode.Api;

/// <summary>One image as a client sent it, still encoded; <see cref="Id"/> is its file name, or its place in the request.</summary>
public sealed record UploadedImage(string Id, byte[] Bytes);
