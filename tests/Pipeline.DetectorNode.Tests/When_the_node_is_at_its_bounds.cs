using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.DetectorNode.Api;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// The node's bounds at the door, on a real node over HTTP: turns at detection (a request past the waiting line is 503
/// with Retry-After), the request body (413), and the request's time, its upload included (504).
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class When_the_node_is_at_its_bounds(NodeFixture fixture)
{
    private async Task<NodeHost> StartAsync(Dictionary<string, string?> settings)
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        var node = await fixture.StartNodeAsync(organization, project, settings);
        await node.WaitUntilServingAsync(1);
        return node;
    }

    [Fact]
    public async Task A_request_past_the_running_and_waiting_ones_is_503_with_Retry_After_and_is_served_once_a_turn_frees()
    {
        await using var node = await StartAsync(new() { ["DetectorNode:MaxConcurrentDetections"] = "1", ["DetectorNode:MaxQueuedDetections"] = "0" });
        var image = fixture.Models.TestImages[0];
        // The node's own turns, taken as a running request holds one.
        var turns = node.Services.GetRequiredService<DetectionTurns>();
        var running = await turns.WaitAsync(CancellationToken.None);
        Assert.True(running.IsAcquired);

        using (var busy = await node.Client.PostAsync("/detect", NodeHost.Form(image)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(DetectionApi.RetryAfterSeconds), busy.Headers.RetryAfter?.Delta);
            Assert.Contains("DetectorNode:MaxConcurrentDetections", await busy.Content.ReadAsStringAsync());
        }

        running.Dispose();
        using var served = await node.Client.PostAsync("/detect", NodeHost.Form(image));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_body_larger_than_MaxRequestBytes_is_413_naming_the_setting()
    {
        var image = File.ReadAllBytes(fixture.Models.TestImages[0]);
        await using var node = await StartAsync(new() { ["DetectorNode:MaxRequestBytes"] = image.Length.ToString() });

        using var fits = await node.Client.PostAsync("/detect", NodeHost.ImageContent(image));
        // The same image with one byte after its end: it would decode, but the body is one byte too many.
        using var asBody = await node.Client.PostAsync("/detect", NodeHost.ImageContent([.. image, 0]));
        using var asForm = await node.Client.PostAsync("/detect/batch", NodeHost.Form(fixture.Models.TestImages[0]));

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, asBody.StatusCode);
        Assert.Contains("DetectorNode:MaxRequestBytes", await asBody.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, asForm.StatusCode);
    }

    [Fact]
    public async Task An_upload_that_stalls_past_RequestTimeout_is_answered_504_without_waiting_for_the_rest()
    {
        await using var node = await StartAsync(new() { ["DetectorNode:RequestTimeout"] = "00:00:01" });
        var image = File.ReadAllBytes(fixture.Models.TestImages[0]);
        // A raw connection, so the client sends the headers and 16 bytes of the body and then nothing, as a stalled one does.
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(node.Address.Host, node.Address.Port);
        var stream = client.GetStream();
        var head = $"POST /detect HTTP/1.1\r\nHost: {node.Address.Authority}\r\nAuthorization: Bearer {NodeHost.OperatorToken}\r\n" +
            $"Content-Type: image/png\r\nContent-Length: {image.Length}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(image.AsMemory(0, 16));
        var started = System.Diagnostics.Stopwatch.StartNew();

        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var statusLine = await reader.ReadLineAsync(bound.Token);

        Assert.Equal("HTTP/1.1 504 Gateway Timeout", statusLine);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"answered after {started.Elapsed}");
    }
}
