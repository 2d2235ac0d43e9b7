namespace Pipeline.Trainer;

public sealed class TrainerSettings
{
    public const string Section = "Trainer";

    /// <summary>auto (cuda when libtorch sees a GPU, else cpu), cpu or cuda.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>libtorch's intra-op threads; 0 leaves libtorch's default of one per core.</summary>
    public int Threads { get; set; }

    /// <summary>Channel width of the network's first stage for trainings from scratch; a GPU can afford 32 or 64.</summary>
    public int ModelWidth { get; set; } = 16;

    /// <summary>
    /// What a training's decoded images may hold in memory (least recently used dropped first, the next batches decoded
    /// ahead): peak memory stays flat however many images a dataset has. 3·R² bytes per image, so 256 MiB holds about
    /// 1,360 images at 256 px, every one of a smaller dataset.
    /// </summary>
    public int DecodedImageBudgetMiB { get; set; } = 256;

    /// <summary>TrainingProgressed, the Trainer's heartbeat to the Orchestrator's watchdog, at most this often.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Evaluate on the test split every this many iterations (and at the end).</summary>
    public int EvaluateEvery { get; set; } = 100;

    /// <summary>Checkpoint every this many iterations (and on every new best mAP), so a crash loses little.</summary>
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>
    /// A Trainer renews its training's lease four times per this; one silent for this long (dead, or hung as by SIGSTOP)
    /// loses the training to the attempt the watchdog sends next. Longer than any pause a healthy process makes.
    /// </summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromMinutes(1);
}
