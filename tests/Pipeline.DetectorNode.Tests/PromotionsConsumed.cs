using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// The promotions a node's bus has finished consuming: a test that expects a promotion to change nothing waits for it to
/// be consumed, then looks, instead of sleeping.
/// </summary>
public sealed class PromotionsConsumed : IConsumeObserver
{
    private readonly List<ModelPromoted> consumed = [];

    public static PromotionsConsumed On(NodeHost node)
    {
        var observer = new PromotionsConsumed();
        node.Services.GetRequiredService<IBus>().ConnectConsumeObserver(observer);
        return observer;
    }

    public Task WaitForAsync(ModelPromoted promoted) =>
        Eventually.TrueAsync(() => { lock (consumed) { return consumed.Contains(promoted); } }, TimeSpan.FromSeconds(60),
            () => $"version {promoted.Version} of {promoted.Project} was not consumed");

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is ModelPromoted promoted)
        {
            lock (consumed)
            {
                consumed.Add(promoted);
            }
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
