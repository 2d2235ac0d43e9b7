namespace Pipeline.Downloader.Http;

/// <summary>
/// The dataset's server did not answer, or not in time. Not an outage of the pipeline's own servers, which is waited
/// out for Retry:OutageBudget: a host that hangs or trickles is tried Retry:Limit more times and the training fails
/// naming it. The cause goes into the message, not <see cref="Exception.InnerException"/>, whose SocketException or
/// TimeoutException would read as such an outage.
/// </summary>
public sealed class DatasetHostUnavailableException(string message) : Exception(message);
