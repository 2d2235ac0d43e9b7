namespace Pipeline.Hosting.Web;

/// <summary>What a credential lets its holder do; each role includes the ones below it.</summary>
public enum ApiRole
{
    /// <summary>Reads: the trainings, models and queues, the dashboard and its event stream.</summary>
    Viewer = 1,

    /// <summary>Acts as well: begin, stop, cancel, retry, replay, promote, put parked outbox rows back.</summary>
    Operator = 2,
}
