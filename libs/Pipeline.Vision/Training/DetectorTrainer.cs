using System.Diagnostics;
using System.Runtime.CompilerServices;
using Pipeline.Datasets.Evaluation;
using Pipeline.Vision.Evaluation;
using Pipeline.Vision.Models;
using static TorchSharp.torch;

namespace Pipeline.Vision.Training;

/// <summary>
/// Trains a <see cref="DetectorModel"/> on a dataset's train split, one iteration per <see cref="Step"/>,
/// in the spirit of DaCapo's Trainer.iterate: <see cref="Iterate"/> yields a <see cref="TrainingStep"/> per
/// iteration until <see cref="Hyperparameters.Iterations"/>. A checkpoint (<see cref="CheckpointFolder"/>: weights,
/// optimizer state, iteration) lets a training continue where it stopped, counting on from the same iteration.
/// </summary>
public sealed class DetectorTrainer : IDisposable
{
    private const int WarmupIterations = 50;

    private readonly DetectorOptimizer optimizer;
    private readonly BatchBuilder batches;
    private readonly bool ownsModel;

    /// <param name="startFrom">A model to continue training from (a base model); null starts from random weights.</param>
    /// <param name="options">Optimizer, network width and seed; null takes the defaults. A base model keeps its own width.</param>
    public DetectorTrainer(VisionDataset dataset, Hyperparameters hyperparameters, Device? device = null, DetectorModel? startFrom = null, TrainingOptions? options = null)
    {
        Hyperparameters = hyperparameters.Validate();
        Options = (options ?? new TrainingOptions()).Validate();
        if (startFrom is not null)
        {
            Options = Options with { ModelWidth = startFrom.Width };
        }

        device ??= CPU;
        if (startFrom is not null)
        {
            if (startFrom.Resolution != hyperparameters.Resolution)
            {
                throw new ArgumentException($"Hyperparameter Resolution {hyperparameters.Resolution} differs from the base model's {startFrom.Resolution}", nameof(hyperparameters));
            }

            if (!startFrom.Categories.SequenceEqual(dataset.Categories))
            {
                throw new ArgumentException("The base model's categories differ from the dataset's", nameof(startFrom));
            }
        }
        Model = startFrom ?? DetectorModel.Create(dataset.Categories, Options.ModelWidth, hyperparameters.Resolution, device, Options.Seed);
        ownsModel = startFrom is null;
        Model.Hyperparameters = hyperparameters;
        Dataset = dataset;
        batches = new BatchBuilder(dataset.Train, Model.Layout, hyperparameters, Options.Seed);
        var parameters = Model.Network.parameters();
        optimizer = DetectorOptimizer.Create(Options.Optimizer, parameters, hyperparameters.LearningRate);
    }

    public Hyperparameters Hyperparameters { get; }
    public TrainingOptions Options { get; }
    public DetectorModel Model { get; }
    public VisionDataset Dataset { get; }
    /// <summary>Iterations done so far.</summary>
    public int Iteration { get; private set; }
    public bool IsFinished => Iteration >= Hyperparameters.Iterations;

    /// <summary>How many training images are held decoded now (bounded by <see cref="DecodedImages.BudgetBytes"/>).</summary>
    public int DecodedHeld => batches.DecodedHeld;

    /// <summary>Runs the remaining iterations, yielding each one's statistics; cancellation is checked between iterations.</summary>
    public IEnumerable<TrainingStep> Iterate(CancellationToken cancellationToken = default)
    {
        while (!IsFinished)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Step();
        }
    }

    /// <summary>As <see cref="Iterate"/>, each iteration on the thread pool so a host's thread is not held.</summary>
    public async IAsyncEnumerable<TrainingStep> IterateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!IsFinished)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return await Task.Run(Step, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Warmup over the first iterations, then cosine decay to 5% of the learning rate.</summary>
    public double LearningRateAt(int iteration)
    {
        var baseRate = Hyperparameters.LearningRate;
        var total = Hyperparameters.Iterations;
        var warmup = Math.Min(WarmupIterations, Math.Max(1, total / 10));
        if (iteration < warmup)
        {
            return baseRate * (iteration + 1) / warmup;
        }

        var progress = (double)(iteration - warmup) / Math.Max(1, total - warmup);
        return baseRate * (0.05 + 0.95 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }

    /// <summary>One iteration: a batch, forward, loss, backward, optimizer step. Everything it allocates is freed before it returns.</summary>
    public TrainingStep Step()
    {
        var watch = Stopwatch.StartNew();
        var learningRate = LearningRateAt(Iteration);
        optimizer.LearningRate = learningRate;
        Model.Network.train();
        float[] losses;
        using (var scope = NewDisposeScope())
        {
            var (input, targets) = batches.Build(Iteration, Model.Device);
            var output = Model.Network.forward(input);
            var loss = CenterNetLoss.Compute(output, targets, Model.Layout.Classification.Count > 0);
            optimizer.ZeroGrad();
            loss.Total.backward();
            optimizer.Step();
            losses = stack([loss.Total, loss.Heatmap, loss.Size, loss.Offset, loss.Classes]).detach().cpu().data<float>().ToArray();
            // The gradients go with the step's activations, not in the middle of the next step's: the heap starts every
            // step in the same state, with no gradient chunks left between the blocks the next forward pass reuses.
            optimizer.ZeroGrad();
        }
        Iteration++;
        var duration = watch.Elapsed;
        return new TrainingStep(Iteration, Hyperparameters.Iterations, losses[0], losses[1], losses[2], losses[3], losses[4],
            learningRate, Hyperparameters.BatchSize / duration.TotalSeconds, duration);
    }

    /// <summary>mAP@0.5 and per-category tp/fp/fn on <paramref name="images"/> (the test split when null).</summary>
    public EvaluationResult Evaluate(IReadOnlyList<DatasetImage>? images = null, float confidenceThreshold = 0.5f)
    {
        // Batches no larger than training's: libtorch's peak memory, and so the process's, stays where training put it.
        var result = ModelEvaluator.Evaluate(Model, images ?? Dataset.Test, confidenceThreshold, Hyperparameters.BatchSize);
        // Evaluation's tensors (other shapes, freed between training's blocks) and its decoding threads' malloc arenas
        // leave free pages that training does not reuse: hand them back rather than keep them resident (see NativeHeap).
        NativeHeap.Trim();
        return result;
    }

    // A checkpoint's state; CheckpointFolder owns the files it goes into and their checksums.
    internal void SaveState(string weightsPath, string optimizerPath)
    {
        Model.Network.save(weightsPath);
        optimizer.Save(optimizerPath);
    }

    internal void LoadState(string weightsPath, string optimizerPath, int iteration)
    {
        Model.Network.load(weightsPath);
        optimizer.Load(optimizerPath);
        Iteration = iteration;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        if (ownsModel)
        {
            Model.Dispose();
        }
        // glibc's arenas still hold the last step's freed tensors (see NativeHeap): a finished training gives them back.
        NativeHeap.Trim();
    }
}
