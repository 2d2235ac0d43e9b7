using Pipeline.Vision.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Vision.Training;

/// <summary>
/// The optimizers the trainer uses. Written here rather than taken from torch.optim because TorchSharp 0.107's
/// step() passes implicitly created Scalars to libtorch (see <see cref="Scalars"/>): these keep every Scalar
/// alive with <c>using</c> until the update that reads it has returned. Same update rules as torch.optim.
/// </summary>
public abstract class DetectorOptimizer : IDisposable
{
    private const int FormatVersion = 1;

    protected DetectorOptimizer(IReadOnlyList<Parameter> parameters, double learningRate)
    {
        Parameters = parameters;
        LearningRate = learningRate;
    }

    protected IReadOnlyList<Parameter> Parameters { get; }
    public double LearningRate { get; set; }
    /// <summary>Updates done so far.</summary>
    public long Steps { get; protected set; }
    public abstract string Name { get; }

    public static DetectorOptimizer Create(string name, IEnumerable<Parameter> parameters, double learningRate) => name switch
    {
        "adam" => new AdamOptimizer(parameters.ToList(), learningRate),
        "sgd" => new SgdOptimizer(parameters.ToList(), learningRate),
        _ => throw new ArgumentException($"Unknown optimizer '{name}': use adam or sgd", nameof(name)),
    };

    public void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            p.grad = null;
        }
    }

    public void Step()
    {
        using var noGrad = no_grad();
        Steps++;
        Update();
    }

    protected abstract void Update();
    protected abstract IEnumerable<Tensor> State();

    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(FormatVersion);
        writer.Write(Name);
        writer.Write(Steps);
        writer.Write(LearningRate);
        foreach (var tensor in State())
        {
            tensor.Save(writer);
        }
    }

    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException($"{path}: unknown optimizer state format");
        }

        var name = reader.ReadString();
        if (name != Name)
        {
            throw new InvalidDataException($"{path} holds {name} state, not {Name}");
        }

        Steps = reader.ReadInt64();
        LearningRate = reader.ReadDouble();
        using var noGrad = no_grad();
        foreach (var tensor in State())
        {
            tensor.Load(reader);
        }
    }

    public virtual void Dispose()
    {
        foreach (var tensor in State())
        {
            tensor.Dispose();
        }
    }
}

/// <summary>Adam (Kingma and Ba), as torch.optim.Adam with weight_decay 0.</summary>
public sealed class AdamOptimizer : DetectorOptimizer
{
    private readonly Tensor[] firstMoment;
    private readonly Tensor[] secondMoment;

    public AdamOptimizer(IReadOnlyList<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
        : base(parameters, learningRate)
    {
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        firstMoment = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        secondMoment = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public override string Name => "adam";

    protected override void Update()
    {
        var correction1 = 1 - Math.Pow(Beta1, Steps);
        var correction2 = 1 - Math.Pow(Beta2, Steps);
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var stepSize = (-LearningRate / correction1).ToScalar();
        for (var i = 0; i < Parameters.Count; i++)
        {
            using var grad = Parameters[i].grad;
            if (grad is null)
            {
                continue;
            }

            firstMoment[i].mul_(beta1).add_(grad, oneMinusBeta1);
            secondMoment[i].mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            using var denominator = secondMoment[i].sqrt();
            denominator.div_(sqrtCorrection2).add_(epsilon, Scalars.One);
            Parameters[i].addcdiv_(firstMoment[i], denominator, stepSize);
        }
    }

    protected override IEnumerable<Tensor> State() => firstMoment.Concat(secondMoment);
}

/// <summary>SGD with momentum 0.9 and weight decay 1e-4, as torch.optim.SGD.</summary>
public sealed class SgdOptimizer : DetectorOptimizer
{
    private readonly Tensor[] velocity;

    public SgdOptimizer(IReadOnlyList<Parameter> parameters, double learningRate, double momentum = 0.9, double weightDecay = 1e-4)
        : base(parameters, learningRate)
    {
        (Momentum, WeightDecay) = (momentum, weightDecay);
        velocity = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public double Momentum { get; }
    public double WeightDecay { get; }
    public override string Name => "sgd";

    protected override void Update()
    {
        using var momentum = Momentum.ToScalar();
        using var weightDecay = WeightDecay.ToScalar();
        using var step = (-LearningRate).ToScalar();
        for (var i = 0; i < Parameters.Count; i++)
        {
            using var grad = Parameters[i].grad;
            if (grad is null)
            {
                continue;
            }

            using var decayed = grad.add(Parameters[i], weightDecay);
            // torch.optim.SGD starts the momentum buffer at the first gradient.
            if (Steps == 1)
            {
                velocity[i].copy_(decayed);
            }
            else
            {
                velocity[i].mul_(momentum).add_(decayed, Scalars.One);
            }

            Parameters[i].add_(velocity[i], step);
        }
    }

    protected override IEnumerable<Tensor> State() => velocity;
}
