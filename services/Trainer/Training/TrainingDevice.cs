using TorchSharp;

namespace Pipeline.Trainer.Training;

/// <summary>The device this process trains on, chosen once from Trainer:Device.</summary>
public sealed record TrainingDevice(torch.Device Device);
