using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Vision.Models;

/// <summary>
/// 2-D batch normalisation through functional batch_norm. TorchSharp 0.107's own BatchNorm2d bumps
/// num_batches_tracked with add_(1), whose implicitly created Scalar the GC may finalise while libtorch still
/// reads it (the caller keeps no reference): a crash after some hundred iterations, once the JIT has
/// optimised the method. This one passes momentum and eps as plain doubles and creates no Scalar.
/// </summary>
public sealed class BatchNorm : torch.nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;

    public BatchNorm(long features) : base(nameof(BatchNorm))
    {
        weight = new Parameter(ones(features));
        bias = new Parameter(zeros(features));
        running_mean = zeros(features);
        running_var = ones(features);
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
        register_buffer(nameof(running_mean), running_mean);
        register_buffer(nameof(running_var), running_var);
    }

    public override Tensor forward(Tensor input) =>
        nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum: 0.1, eps: 1e-5);
}
