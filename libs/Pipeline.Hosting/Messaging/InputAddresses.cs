namespace Pipeline.Hosting.Messaging;

public static class InputAddresses
{
    /// <summary>The queue a receive endpoint reads, from its input address (the path's last segment, after any virtual host).</summary>
    public static string QueueName(this Uri inputAddress) => inputAddress.AbsolutePath.TrimEnd('/').Split('/')[^1];
}
