using MassTransit;
using MassTransit.Middleware;
using Pipeline.Hosting.Messaging;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Workers.Tests;

/// <summary>
/// The policy every service's queues reconnect under once the broker is lost. MassTransit's own gives a queue up for
/// the life of the process on any failure outside its list (a timeout, say), leaving a worker that is up and reads
/// nothing; this one tries again whatever failed, but a refused login, at most the cap apart however many attempts
/// failed before.
/// </summary>
public sealed class When_a_worker_loses_its_broker
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(2);
    private readonly IRetryPolicy policy = ReconnectBackOff.Policy(Cap);

    [Fact]
    public void A_failure_MassTransit_gives_a_queue_up_on_is_tried_again()
    {
        Assert.True(policy.IsHandled(new TimeoutException("The operation has timed out.")));
        Assert.True(policy.IsHandled(new ObjectDisposedException("channel")));
        Assert.True(policy.IsHandled(new InvalidOperationException("the channel is not open")));
    }

    [Fact]
    public void A_refused_login_is_not_tried_again_however_it_is_wrapped()
    {
        var refused = new AuthenticationFailureException("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.");
        Assert.False(policy.IsHandled(refused));
        Assert.False(policy.IsHandled(new BrokerUnreachableException(refused)));
        Assert.False(policy.IsHandled(new AggregateException(new TimeoutException(), refused)));
    }

    [Fact]
    public void Attempts_stay_within_the_cap_and_never_run_out()
    {
        using var attempts = policy.CreatePolicyContext(new Reconnecting());
        Assert.True(attempts.CanRetry(new TimeoutException(), out var retry));
        var delays = new List<TimeSpan>();
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            delays.Add(retry.Delay!.Value);
            Assert.True(retry.CanRetry(new TimeoutException(), out retry), $"attempt {attempt + 2} was refused");
        }

        // ±25% jitter around the cap.
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, Cap * 1.25));
    }

    private sealed class Reconnecting : BasePipeContext;
}
