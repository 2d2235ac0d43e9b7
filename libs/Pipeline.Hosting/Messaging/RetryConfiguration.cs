using Pipeline.Artifacts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Pipeline.Hosting.Messaging;

public static class RetryConfiguration
{
    /// <summary>
    /// A command its worker died on <c>Retry:CrashLimit</c> times faults (<see cref="CrashCountFilter{T}"/>); one whose work
    /// a stopping worker cancelled goes back to its queue, counted as nothing (<see cref="HandBackOnShutdownFilter{TConsumer, TMessage}"/>,
    /// which each stage consumer's definition adds to its own pipe).
    /// Outages are waited out (<see cref="UseOutageRetry"/>); other faults back off and retry a bounded number of
    /// times; bad input faults at once. A message that still fails lands in the queue's _error queue and
    /// <c>Fault&lt;T&gt;</c> is published; an outage alone never sends it there.
    /// </summary>
    public static void UseStageRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var settings = context.GetRequiredService<IOptions<RetrySettings>>().Value;
        // MassTransit runs the message retries below outside every consume filter, so each retry passes this filter
        // too; the count it writes is removed before the next retry, so a count left behind is still one death.
        endpoint.UseConsumeFilter(typeof(CrashCountFilter<>), context);
        endpoint.UseOutageRetry(context);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(settings.Limit, settings.MinInterval, settings.MaxInterval, settings.MinInterval);
            retry.Ignore<StageInputException>();
            retry.Ignore<OperationCanceledException>();
            retry.Ignore<Exception>(TransientFaults.IsTransient);
        });
    }

    /// <summary>The outer retry: a fault that says PostgreSQL or RabbitMQ is away is retried for up to <c>Retry:OutageBudget</c>.</summary>
    public static void UseOutageRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var settings = context.GetRequiredService<IOptions<RetrySettings>>().Value;
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(TransientFaults.IsTransient);
            retry.Intervals(settings.OutageIntervals());
        });
    }
}
