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

    /// <summary>
    /// Whether this process runs the relay. It delivers only its own service's rows, with its own broker account; the
    /// replicas of one service share them by claiming batches (<see cref="ClaimLease"/>).
    /// </summary>
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

    /// <summary>
    /// How long a relay owns the batch it claimed: no other replica takes those rows until then. Longer than a batch
    /// takes to send (each send is bounded by <see cref="SendTimeout"/>), short enough that the rows of a relay that died
    /// mid-batch are soon taken up again.
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest one message's send (with its publisher confirm) may take before it counts as a failed attempt.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Failed sends of one row (the broker connected) before it is parked. Between attempts the row waits, doubling from
    /// a second up to five minutes, so the default gives a row about eight minutes of trying.
    /// </summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>
    /// How long <c>apply-schema</c> waits for a lock on the outbox tables when it must alter them, before it gives up
    /// saying who holds it: never queued behind a long transaction (with every writer queued behind it).
    /// </summary>
    public TimeSpan SchemaLockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether this service's relay also delivers rows that record no writer: rows written before the outbox kept one
    /// per service. Only the Orchestrator's, whose account may send everything those writers sent (stage commands and
    /// events); set by its registration.
    /// </summary>
    public bool DeliversUnowned { get; set; }

    /// <summary>How long a consumed message's id is remembered; a redelivery older than this would run again.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);
}
