namespace Pipeline.Orchestrator.Tests;

/// <summary>The saga's clock, moved by the test: deadlines are compared with exact times, not the system clock.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
