namespace Pipeline.Contracts;

/// <summary>One row of the status API's <c>GET /trainings</c>.</summary>
public sealed record TrainingSummary(Guid Id, string Organization, string Project, string State, int Attempt, DateTimeOffset Updated);
