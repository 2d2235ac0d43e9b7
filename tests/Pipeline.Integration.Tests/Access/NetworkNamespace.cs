using System.Diagnostics;

namespace Pipeline.Integration.Tests.Access;

/// <summary>
/// A network namespace this test makes, joined to the host by a veth pair on a /30 of 10.231.0.0/16 that nothing else
/// uses: the host's end is <see cref="HostAddress"/>, the namespace's <see cref="Address"/>. Requests run inside it with
/// <c>ip netns exec</c> reach only the host's end: from the server's side they come from an address that is not loopback.
/// Removed on dispose (deleting the namespace takes the veth pair with it).
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private readonly string hostInterface;

    private NetworkNamespace(string name, string hostInterface, string hostAddress, string address)
    {
        Name = name;
        this.hostInterface = hostInterface;
        HostAddress = hostAddress;
        Address = address;
    }

    public string Name { get; }

    public string HostAddress { get; }

    public string Address { get; }

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        // A /30 from the third octet; two runs at once pick the same one with odds of 1 in 256, and then the second's
        // 'ip addr add' fails loudly rather than sharing the first's network.
        var subnet = Random.Shared.Next(0, 256);
        var network = new NetworkNamespace($"pl-{id}", $"plh-{id}", $"10.231.{subnet}.1", $"10.231.{subnet}.2");
        try
        {
            await network.RunAsync("ip", "netns", "add", network.Name);
            await network.RunAsync("ip", "link", "add", network.hostInterface, "type", "veth", "peer", "name", $"pln-{id}");
            await network.RunAsync("ip", "link", "set", $"pln-{id}", "netns", network.Name);
            await network.RunAsync("ip", "addr", "add", $"{network.HostAddress}/30", "dev", network.hostInterface);
            await network.RunAsync("ip", "link", "set", network.hostInterface, "up");
            await network.RunAsync("ip", "-n", network.Name, "addr", "add", $"{network.Address}/30", "dev", $"pln-{id}");
            await network.RunAsync("ip", "-n", network.Name, "link", "set", $"pln-{id}", "up");
            await network.RunAsync("ip", "-n", network.Name, "link", "set", "lo", "up");
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }

        return network;
    }

    /// <summary>curl run inside the namespace: the HTTP status and the body (<c>-w</c> appends the status on a line of its own).</summary>
    public async Task<(int Status, string Body)> CurlAsync(params string[] args)
    {
        var output = await RunAsync(["ip", "netns", "exec", Name, "curl", "-sS", "-m", "20", "-w", "\n%{http_code}", .. args]);
        var split = output.LastIndexOf('\n');
        return (int.Parse(output[(split + 1)..].Trim()), output[..Math.Max(split, 0)]);
    }

    /// <summary>Starts a process inside the namespace and hands it over running, its output redirected.</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("ip", ["netns", "exec", Name, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        return Process.Start(start)!;
    }

    public async ValueTask DisposeAsync()
    {
        await TryAsync("ip", "netns", "del", Name);
        await TryAsync("ip", "link", "del", hostInterface);
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var (exitCode, output, errors) = await TryAsync(args);
        return exitCode == 0 ? output : throw new InvalidOperationException($"'{string.Join(' ', args)}' exited {exitCode}: {errors}{output}");
    }

    private static async Task<(int ExitCode, string Output, string Errors)> TryAsync(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(args[0], args[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, await output, await errors);
    }
}
