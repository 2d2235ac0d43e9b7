namespace Pipeline.Outbox;

/// <summary><c>Outbox:*</c>: the transactional outbox and inbox in PostgreSQL (the saga's and the Uploader's).</summary>
public sealed class OutboxSettings
{
    public const string Section = "Outbox";

    /// <summary>
    /// On: what the saga sends commits with its new state and leaves through the relay, and a redelivered message is
    /// recognised by its id. Off: sends leave after the save through MassTransit's in-memory outbox (the benchmark's baseline).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether this process runs the relay; every replica may, they share the rows by skipping locked ones.</summary>
    public bool Deliver { get; set; } = true;

    /// <summary>
    /// Whether a process that runs the relay sends the rows it commits itself, from memory, right after the commit: a
    /// stage's command does not wait for the relay to wake up and read it back. Such rows are claimed for
    /// <see cref="CommitClaim"/>: should the process die or lose the broker before they are confirmed, any relay
    /// delivers them once the claim has run out.
    /// </summary>
    public bool DeliverOnCommit { get; set; } = true;

    public TimeSpan CommitClaim { get; set; } = TimeSpan.FromSeconds(10);

    internal bool ClaimsOnCommit => Deliver && DeliverOnCommit;

    public int BatchSize { get; set; } = 100;

    /// <summary>How often the relay looks for rows nobody told it about (another replica's, or left by a crash).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a consumed message's id is remembered; a redelivery older than this would run again.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);
}
