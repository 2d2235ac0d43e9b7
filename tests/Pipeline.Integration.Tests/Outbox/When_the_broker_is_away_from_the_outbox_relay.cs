using System.Diagnostics;
using Pipeline.Integration.Tests.EndToEnd;
using Pipeline.Integration.Tests.Outages;

namespace Pipeline.Integration.Tests.Outbox;

/// <summary>
/// While RabbitMQ is unreachable the relay leaves the rows alone: it holds no transaction open (which would keep row
/// locks, block apply-schema's DDL and vacuum), and delivers them once the broker is back.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_broker_is_away_from_the_outbox_relay(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    /// <summary>How long the outage is watched: many relay polls (200 ms apart), each a chance to open a transaction.</summary>
    private static readonly TimeSpan Watched = TimeSpan.FromSeconds(6);

    private static readonly TimeSpan BrokerBound = TimeSpan.FromSeconds(120);

    private readonly OutboxServices services = new(infrastructure, infrastructure.NewSchema("outbox_outage"));
    private readonly string relayConnection = $"outbox-relay-{Guid.NewGuid():N}";
    private PrivateRabbitMq? broker;

    public async Task InitializeAsync() => broker = await PrivateRabbitMq.StartAsync();

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_relay_holds_no_open_transaction_and_delivers_once_the_broker_is_back()
    {
        // The relay's connections carry a name of their own; the rows are written over others.
        var relay = await services.StartAsync("orchestrator", deliver: true, new()
        {
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Port"] = broker!.Port.ToString(),
            ["RabbitMq:VirtualHost"] = "/",
            ["ConnectionStrings:Postgres"] = $"{infrastructure.PostgresConnectionString};Application Name={relayConnection}",
        }, account: (broker.Username, broker.Password));
        var writer = await services.StartAsync("orchestrator", deliver: false);
        var before = await OutboxServices.SendDownloadAsync(writer);
        await RunningPipelineFixture.WaitUntil("the relay delivers while the broker answers", async () => !await services.IsWaitingAsync(before), BrokerBound);

        await broker.KillAsync();
        var during = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            during.Add(await OutboxServices.SendDownloadAsync(writer));
        }

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Watched)
        {
            var open = await services.ExecuteScalarAsync<long>(
                "select count(*) from pg_stat_activity where application_name = $1 and state like 'idle in transaction%'", relayConnection);
            Assert.True(open == 0, $"the relay sat idle in a transaction {watch.Elapsed} into the outage");
            await Task.Delay(50);
        }

        foreach (var messageId in during)
        {
            Assert.True(await services.IsWaitingAsync(messageId), "a row left while the broker was away");
        }

        await broker.StartAgainAsync();
        await RunningPipelineFixture.WaitUntil("the relay delivers the rows written during the outage", async () =>
        {
            foreach (var messageId in during)
            {
                if (await services.IsWaitingAsync(messageId))
                {
                    return false;
                }
            }

            return true;
        }, BrokerBound);
        GC.KeepAlive(relay);
    }
}
