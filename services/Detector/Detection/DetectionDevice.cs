using TorchSharp;

namespace Pipeline.Detector.Detection;

/// <summary>The device this process detects on, chosen once from Detector:Device.</summary>
public sealed record DetectionDevice(torch.Device Device);
