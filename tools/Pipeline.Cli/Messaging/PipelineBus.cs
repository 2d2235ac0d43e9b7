using Pipeline.Contracts;
using MassTransit;
using Pipeline.Cli.Infrastructure;
using Pipeline.Messaging;

namespace Pipeline.Cli.Messaging;

/// <summary>
/// A send-only MassTransit bus for the user's commands. They go to their queues by the same Send convention
/// the services use (<see cref="StageSendConventions.Map"/>), with publisher confirms: once SendAsync returns,
/// the broker holds the message.
/// </summary>
public sealed class PipelineBus : IAsyncDisposable
{
    private readonly IBusControl bus;

    private PipelineBus(IBusControl bus) => this.bus = bus;

    public static async Task<PipelineBus> ConnectAsync(RabbitMqSettings settings, CancellationToken cancellationToken)
    {
        if (!await ServerProbe.AnswersAsync(settings.Host, settings.Port, TimeSpan.FromSeconds(3), cancellationToken))
        {
            throw RabbitMqDown(settings);
        }

        if (settings.Username.Length == 0 || settings.Password.Length == 0)
        {
            throw new CliException(
                "no RabbitMQ account: PIPELINE_RABBITMQ_USER / PIPELINE_RABBITMQ_PASSWORD are not set and 'scripts/infra.sh env' printed none " +
                "(run 'scripts/infra.sh up' in the checkout, or 'pipeline up').", ExitCodes.ServerUnavailable);
        }

        StageSendConventions.Map();
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(settings.Host, settings.Port, settings.VirtualHost, host =>
            {
                host.Username(settings.Username);
                host.Password(settings.Password);
                host.PublisherConfirmation = true;
            });
            rabbit.ConfigureJsonSerializerOptions(ContractJson.Configure);
        });

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            await bus.StartAsync(bounded.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await bus.StopAsync(CancellationToken.None);
            throw new CliException(
                $"cannot connect to RabbitMQ at {settings.Host}:{settings.Port} as '{settings.Username}': {ex.GetBaseException().Message}. " +
                "Check PIPELINE_RABBITMQ_USER / PIPELINE_RABBITMQ_PASSWORD ('scripts/infra.sh env' prints them).", ExitCodes.ServerUnavailable);
        }

        return new PipelineBus(bus);
    }

    public static CliException RabbitMqDown(RabbitMqSettings settings) => new(
        $"RabbitMQ at {settings.Host}:{settings.Port} does not answer. Start it with 'scripts/infra.sh up' (or 'pipeline up').",
        ExitCodes.ServerUnavailable);

    /// <summary>
    /// Sends a user command to its queue by the services' convention: BeginTraining, StopTraining, CancelTraining and
    /// RetryTraining to the saga's, PromoteModel to the Uploader's.
    /// </summary>
    public async Task SendAsync<T>(T command, CancellationToken cancellationToken) where T : class
    {
        var address = EndpointConvention.TryGetDestinationAddress<T>(out var mapped) ? mapped : StageSendConventions.Address(StageQueues.Training);
        var endpoint = await bus.GetSendEndpoint(address);
        await endpoint.Send(command, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await bus.StopAsync(CancellationToken.None);
}
