using System.Net;
using Pipeline.Downloader.Http;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// Server-side request forgery: a BeginTraining names any URL, and the Downloader runs inside the deployment. Addresses
/// outside loopback are judged by the policy alone, never connected to; loopback ones are the only ones tried.
/// </summary>
public sealed class When_a_dataset_url_points_inside : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private readonly LocalHttpServer server = new();
    private readonly List<DownloaderHarness> harnesses = [];

    [Theory]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.5.4", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local (cloud metadata)")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("255.255.255.255", "reserved or broadcast")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fd00::1", "private (unique local)")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:169.254.169.254", "link-local (cloud metadata)")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("64:ff9b::a9fe:a9fe", "NAT64 (an IPv4 address behind it)")]
    public void The_policy_refuses_an_address_inside_naming_its_kind(string address, string kind)
    {
        var refusal = new DatasetAddressPolicy(null).RefusalOf(IPAddress.Parse(address));

        Assert.Equal($"{address} is a {kind} address (Downloader:AllowedNetworks opens a range)", refusal);
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:93.184.216.34")]
    public void The_policy_accepts_a_public_address(string address) =>
        Assert.Null(new DatasetAddressPolicy(null).RefusalOf(IPAddress.Parse(address)));

    [Fact]
    public void AllowedNetworks_opens_its_ranges_and_nothing_else()
    {
        var policy = new DatasetAddressPolicy(["10.20.0.0/16", "fd00::/8"]);

        Assert.Null(policy.RefusalOf(IPAddress.Parse("10.20.3.4")));
        Assert.Null(policy.RefusalOf(IPAddress.Parse("fd00::1")));
        Assert.NotNull(policy.RefusalOf(IPAddress.Parse("10.21.0.1")));
        Assert.NotNull(policy.RefusalOf(IPAddress.Parse("169.254.169.254")));
    }

    [Fact]
    public void An_AllowedNetworks_entry_that_is_not_a_range_is_an_error_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new DatasetAddressPolicy(["10.0.0.0/33"]));

        Assert.Contains("'10.0.0.0/33' is not a CIDR range", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_url_naming_loopback_is_refused_by_default_before_any_request(string host)
    {
        dataset.AddImage("a").WriteManifest();
        server.Serve("set.zip", File.ReadAllBytes(dataset.Zip()));
        var harness = Harness(new DownloaderSettings { AllowedNetworks = [] });

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync($"http://{host}:{server.Port}/set.zip"));

        Assert.Contains("is a loopback address", refusal.Message);
        Assert.Equal(0, server.RequestCount("set.zip"));
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_server_to_a_refused_address_is_refused_before_it_is_requested()
    {
        // 127.0.0.1 is opened for the test server; 127.0.0.2 (the same machine) is not.
        server.Redirect("moved.zip", $"http://127.0.0.2:{server.Port}/set.zip").Serve("set.zip", [1, 2, 3]);
        var harness = Harness(new DownloaderSettings { AllowedNetworks = ["127.0.0.1/32"] });

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("moved.zip")));

        Assert.Equal(
            $"Dataset URI '{server.Url("moved.zip")}' is refused: its redirect to 'http://127.0.0.2:{server.Port}/set.zip': "
            + "127.0.0.2 is a loopback address (Downloader:AllowedNetworks opens a range).", refusal.Message);
        Assert.Equal(1, server.RequestCount("moved.zip"));
        Assert.Equal(0, server.RequestCount("set.zip"));
    }

    [Fact]
    public async Task A_redirect_loop_is_refused_after_MaxRedirects_hops()
    {
        server.Redirect("a.zip", server.Url("b.zip")).Redirect("b.zip", server.Url("a.zip"));
        var harness = Harness(new DownloaderSettings { MaxRedirects = 3 });

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("a.zip")));

        Assert.Contains("redirected more than 3 times (Downloader:MaxRedirects)", refusal.Message);
        Assert.Equal(4, server.RequestCount("a.zip") + server.RequestCount("b.zip"));
    }

    [Fact]
    public async Task A_redirect_to_a_file_url_is_refused()
    {
        server.Redirect("moved.zip", "file:///etc/passwd");
        var harness = Harness(new DownloaderSettings());

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("moved.zip")));

        Assert.Contains("redirected to 'file:///etc/passwd': a download may only be redirected to http(s)", refusal.Message);
    }

    [Fact]
    public async Task A_server_that_sends_a_byte_a_second_is_cut_off_at_HttpTimeout()
    {
        server.Trickle("slow.zip", new byte[100], TimeSpan.FromSeconds(1));
        var harness = Harness(new DownloaderSettings { HttpTimeout = TimeSpan.FromSeconds(2) });

        var timeout = await Assert.ThrowsAsync<DatasetHostUnavailableException>(() => harness.ImportAsync(server.Url("slow.zip")));

        Assert.Contains("did not finish sending within 00:00:02 (Downloader:HttpTimeout)", timeout.Message);
    }

    private DownloaderHarness Harness(DownloaderSettings settings)
    {
        var harness = new DownloaderHarness(settings);
        harnesses.Add(harness);
        return harness;
    }

    public void Dispose()
    {
        server.Dispose();
        dataset.Dispose();
        harnesses.ForEach(h => h.Dispose());
    }
}
