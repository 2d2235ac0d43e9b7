using TorchSharp;

namespace Pipeline.Vision;

/// <summary>Chooses the device a service trains or detects on.</summary>
public static class TorchDevice
{
    /// <summary>
    /// "auto" (or null/empty): cuda when libtorch sees a CUDA device, else cpu. "cpu" forces the CPU;
    /// "cuda" or "cuda:N" forces a GPU and throws when none is there (a CPU-only build never has one).
    /// </summary>
    public static torch.Device Select(string? preference)
    {
        var choice = string.IsNullOrWhiteSpace(preference) ? "auto" : preference.Trim().ToLowerInvariant();
        if (choice == "auto")
        {
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        }

        if (choice == "cpu")
        {
            return torch.CPU;
        }

        if (choice == "cuda" || choice.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
            {
                throw new InvalidOperationException(
                    $"Device '{preference}' was asked for, but libtorch sees no CUDA device (is this a -p:TorchBackend=cuda build on a GPU host?)");
            }

            return torch.device(choice);
        }
        throw new ArgumentException($"Unknown device '{preference}': use auto, cpu or cuda", nameof(preference));
    }

    /// <summary>Sets libtorch's intra-op thread count (0 leaves libtorch's default, one per core).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0)
        {
            torch.set_num_threads(threads);
        }
    }
}
