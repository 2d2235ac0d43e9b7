namespace Pipeline.Contracts;

/// <summary>One row of the status API's <c>GET /trainings</c>.</summary>
public sealed record TrainingSummary
{
    public required Guid Id { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public required string State { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset Updated { get; init; }
}
