using TorchSharp;

namespace Pipeline.Vision.Tests;

public sealed class When_libtorch_is_loaded
{
    [Fact]
    public void Libtorch_loads_and_adds_two_tensors()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3 });
        using var b = torch.tensor(new float[] { 10, 20, 30 });
        using var sum = a + b;
        Assert.Equal(new float[] { 11, 22, 33 }, sum.data<float>().ToArray());
    }
}
