using MassTransit;

namespace Pipeline.Hosting.Messaging;

public static class HandBack
{
    /// <summary>
    /// Puts the message being consumed back on its queue as it came (same message id and headers), for a worker that
    /// cannot do it now but did nothing wrong. Returning normally afterwards acknowledges the delivery in hand; should
    /// this send fail, the exception leaves that delivery unacknowledged and the broker hands it out again.
    /// </summary>
    public static async Task HandBackAsync<T>(this ConsumeContext<T> context)
        where T : class
    {
        var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await queue.Send(context.Message, send =>
        {
            send.MessageId = context.MessageId;
            send.CorrelationId = context.CorrelationId;
            send.ConversationId = context.ConversationId;
            send.InitiatorId = context.InitiatorId;
            foreach (var header in context.Headers.GetAll())
            {
                send.Headers.Set(header.Key, header.Value);
            }
        }, CancellationToken.None);
    }
}
