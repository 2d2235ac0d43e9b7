using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Pipeline.Hosting.Messaging;

public static class RetryConfiguration
{
    /// <summary>
    /// Transient faults back off and retry a bounded number of times; bad input faults at once.
    /// Either way the message then lands in the queue's _error queue and <c>Fault&lt;T&gt;</c> is published.
    /// </summary>
    public static void UseStageRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var settings = context.GetRequiredService<IOptions<RetrySettings>>().Value;
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(settings.Limit, settings.MinInterval, settings.MaxInterval, settings.MinInterval);
            retry.Ignore<StageInputException>();
            retry.Ignore<OperationCanceledException>();
        });
    }
}
