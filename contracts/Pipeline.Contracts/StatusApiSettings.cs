namespace Pipeline.Contracts;

/// <summary>
/// The status API's token settings, as configuration names them: the Orchestrator reads them, and the command line's local
/// runner hands the tokens it generated to the Orchestrator it starts under these names (without referencing the service).
/// </summary>
public static class StatusApiSettings
{
    public const string Section = "StatusApi";

    /// <summary>Tokens that read and act; a list (<c>StatusApi:OperatorTokens:0</c>, <c>:1</c>, …) so each can be revoked alone.</summary>
    public const string OperatorTokens = $"{Section}:OperatorTokens";

    /// <summary>Tokens that only read: the trainings, the models, the queues, the dashboard and its event stream.</summary>
    public const string ViewerTokens = $"{Section}:ViewerTokens";
}
