namespace Pipeline.Artifacts;

/// <summary>
/// Input that no retry can fix (a bad dataset, a checksum mismatch, hyperparameters out of range).
/// The retry policy lets it through at once, so the command faults and the training records the message.
/// </summary>
public sealed class StageInputException(string message, Exception? inner = null) : Exception(message, inner);
