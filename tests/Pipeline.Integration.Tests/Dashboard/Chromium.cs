using Microsoft.Playwright;

namespace Pipeline.Integration.Tests.Dashboard;

/// <summary>
/// Debian's Chromium, driven by Playwright: the browser comes from <c>scripts/infra.sh browser</c> (PIPELINE_CHROMIUM
/// names another), never from Playwright's download. Screenshots go to <c>TestResults/dashboard/</c>.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotFolder => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard")).FullName;

    public static async Task<Chromium> StartAsync()
    {
        var executable = Environment.GetEnvironmentVariable("PIPELINE_CHROMIUM") is { Length: > 0 } named ? named : "/usr/bin/chromium";
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"No Chromium at {executable}: run 'scripts/infra.sh browser' (the README's test command does).");
        }

        var chromium = new Chromium { playwright = await Playwright.CreateAsync() };
        chromium.Browser = await chromium.playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // The test machine runs as root in a container: Chromium's sandbox needs user namespaces it may not have.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        return chromium;
    }

    /// <summary>Logs in on the dashboard's login page with the token, as a user would, and waits for the dashboard at <paramref name="route"/> (<c>#/trainings/…</c>).</summary>
    public static async Task LogInAsync(IPage page, Uri api, string token, string route)
    {
        await page.GotoAsync($"{api}login{route}");
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#session")).ToContainTextAsync("signed in as");
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
    }
}
