using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Pipeline.Orchestrator.Dashboard;

/// <summary>
/// The dashboard: three files embedded in the Orchestrator (no CDN, no build step, works offline) that read the status
/// API, and <c>/events</c>, the live stream they and <c>pipeline watch</c> follow; a viewer's credential for each (the
/// login page's session cookie in a browser). The login page and the style sheet it shares are served to anyone.
/// </summary>
public static class DashboardEndpoints
{
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapGet("/", () => Page("index.html", "text/html; charset=utf-8")).RedirectToLogin(LoginEndpoints.Path);
        app.MapGet("/dashboard.js", () => Page("dashboard.js", "text/javascript; charset=utf-8"));
        app.MapGet("/dashboard.css", () => Page("dashboard.css", "text/css; charset=utf-8")).AllowWithoutCredential();
        app.MapGet(LoginEndpoints.Path, () => Page("login.html", "text/html; charset=utf-8")).AllowWithoutCredential();
        app.MapGet("/login.js", () => Page("login.js", "text/javascript; charset=utf-8")).AllowWithoutCredential();
        app.MapLogin();
        app.MapGet("/events", (LiveTrainingEvents live, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(Stream(live, cancellationToken)));
        return app;
    }

    // Embedded under their own names (LogicalName in the project file).
    internal static IResult Page(string name, string contentType) =>
        Results.Stream(typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"dashboard/{name}")!, contentType);

    // The first item tells the reader the stream is open: what it loads after that, it will not miss changes to.
    private static async IAsyncEnumerable<SseItem<LiveEvent?>> Stream(
        LiveTrainingEvents live, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var subscription = live.Subscribe();
        yield return new SseItem<LiveEvent?>(null, "subscribed");
        await foreach (var item in subscription.Reader.ReadAllAsync(cancellationToken))
        {
            yield return new SseItem<LiveEvent?>(item, item.Kind);
        }
    }
}
