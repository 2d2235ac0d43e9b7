using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// A command whose work was cancelled because this process is stopping goes back to its queue as it was (same message
/// id and headers) and its delivery is acknowledged: a stop is neither a fault, which would fail the training, nor a
/// crash, which would count towards <c>Retry:CrashLimit</c>. It sits in the consumer's own pipe, inside the filter that
/// reports a consumer's exception as a fault, so the cancellation never gets that far.
/// </summary>
public sealed class HandBackOnShutdownFilter<TConsumer, TMessage>(IHostApplicationLifetime lifetime, ILogger logger)
    : IFilter<ConsumerConsumeContext<TConsumer, TMessage>>
    where TConsumer : class
    where TMessage : class
{
    public async Task Send(ConsumerConsumeContext<TConsumer, TMessage> context, IPipe<ConsumerConsumeContext<TConsumer, TMessage>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception e) when (e is OperationCanceledException or ConsumerCanceledException && lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await context.HandBackAsync();
            logger.LogInformation("{MessageType} {MessageId} is handed back to {Queue}: this worker is stopping",
                typeof(TMessage).Name, context.MessageId, context.ReceiveContext.InputAddress.QueueName());
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("handBackOnShutdown");
}

public static class HandBackOnShutdownConfiguration
{
    /// <summary>A stage consumer's work cancelled by this process's stop goes back to its queue, neither faulted nor counted as a crash.</summary>
    public static void HandBackOnShutdown<TConsumer, TMessage>(this IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context)
        where TConsumer : class
        where TMessage : class
    {
        if (context.GetService<IHostApplicationLifetime>() is not { } lifetime)
        {
            return; // not hosted (a test's bus): nothing stops it from under its consumers
        }

        var logger = context.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HandBackOnShutdownFilter<,>).Namespace + ".HandBack");
        consumer.ConsumerMessage<TMessage>(message => message.UseFilter(new HandBackOnShutdownFilter<TConsumer, TMessage>(lifetime, logger)));
    }
}
