using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AiGuard.IntegrationTests.Gateway;

namespace AiGuard.IntegrationTests.Admin;

/// <summary>The real <c>aiguard</c> command (a child process) against a real running gateway's admin API: tables, <c>--json</c>, exit codes.</summary>
public sealed class AdminCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aiguard-admin-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs the CLI with the admin URL and key in the environment only (never on the command line).</summary>
    private Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string? url, string? key, params string[] args) =>
        Cli.AiGuardCli.RunAsync(
            _dir,
            new Dictionary<string, string?>
            {
                ["AIGUARD_ADMIN_KEY_FILE"] = null,
                ["COLUMNS"] = "200",
                ["AIGUARD_ADMIN_URL"] = url,
                ["AIGUARD_ADMIN_KEY"] = key,
            },
            args);

    [Fact]
    public async Task Status_quarantine_and_config_check_work_against_a_running_gateway_in_tables_and_json()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address);
        var url = gateway.AdminAddress.ToString();
        var key = gateway.AdminKey.Key;
        var outputs = new List<string>();

        async Task<(int ExitCode, string StdOut, string StdErr)> Cli(params string[] args)
        {
            var result = await RunAsync(url, key, args);
            outputs.Add(result.StdOut + result.StdErr);
            return result;
        }

        var added = await Cli("quarantine", "add", "tester", "--for", "15m", "--reason", "cli walk-through");
        Assert.True(added.ExitCode == 0, added.StdErr);
        Assert.Contains("Quarantined tester until", added.StdOut, StringComparison.Ordinal);
        var incident = added.StdOut[added.StdOut.IndexOf("inc_", StringComparison.Ordinal)..].Split('.', ' ', '\n')[0];
        Assert.Equal("quarantine_added", (await gateway.Gateway.Audit.WaitForAsync(incident)).Code);
        using (var refused = await gateway.ChatAsync(gateway.ModelKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var table = await Cli("quarantine", "list");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("Quarantined clients", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("tester", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("cli walk-through", table.StdOut, StringComparison.Ordinal);

        var listJson = await Cli("quarantine", "list", "--json");
        Assert.Equal(0, listJson.ExitCode);
        var entry = Assert.Single(JsonDocument.Parse(listJson.StdOut).RootElement.GetProperty("quarantines").EnumerateArray());
        Assert.Equal("tester", entry.GetProperty("client").GetString());

        var status = await Cli("status", "tester");
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Client tester", status.StdOut, StringComparison.Ordinal);
        Assert.Contains(gateway.ModelKey.Id, status.StdOut, StringComparison.Ordinal);
        Assert.Contains("until", status.StdOut, StringComparison.Ordinal);

        var statusJson = await Cli("status", "tester", "--json");
        Assert.Equal(0, statusJson.ExitCode);
        Assert.Equal("tester", JsonDocument.Parse(statusJson.StdOut).RootElement.GetProperty("client").GetString());

        var overview = await Cli("status");
        Assert.Equal(0, overview.ExitCode);
        Assert.Contains("Gateway: ready", overview.StdOut, StringComparison.Ordinal);
        Assert.Contains("configuration", overview.StdOut, StringComparison.Ordinal);

        var removed = await Cli("quarantine", "remove", "tester");
        Assert.Equal(0, removed.ExitCode);
        Assert.Contains("Lifted the quarantine of tester", removed.StdOut, StringComparison.Ordinal);
        var again = await Cli("quarantine", "remove", "tester", "--json");
        Assert.Equal(4, again.ExitCode);
        Assert.Contains("client_not_quarantined", again.StdErr, StringComparison.Ordinal);
        Assert.Equal("client_not_quarantined", JsonDocument.Parse(again.StdOut).RootElement.GetProperty("code").GetString());

        var badDuration = await Cli("quarantine", "add", "tester", "--for", "soon");
        Assert.Equal(4, badDuration.ExitCode);
        Assert.Contains("invalid_duration", badDuration.StdErr, StringComparison.Ordinal);

        // config check: a bad file exits 1 with its errors, a good one 0.
        var bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "AiGuard": { "Policies": { "llm": { "Protocol": "grpc" } }, "Admin": { "KeyPrefix": "agk" } } }""");
        var good = Path.Combine(_dir, "good.json");
        await File.WriteAllTextAsync(good, """{ "AiGuard": { "Policies": { "llm": { "Parameters": { "MaxTokens": 64 } } } } }""");
        var checkBad = await Cli("config", "check", bad);
        Assert.Equal(1, checkBad.ExitCode);
        Assert.Contains("would be refused", checkBad.StdOut, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Admin:KeyPrefix", checkBad.StdOut, StringComparison.Ordinal);
        var checkBadJson = await Cli("config", "check", bad, "--json");
        Assert.Equal(1, checkBadJson.ExitCode);
        var report = JsonDocument.Parse(checkBadJson.StdOut).RootElement;
        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Contains(report.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("AiGuard:Admin:KeyPrefix", StringComparison.Ordinal));
        var checkGood = await Cli("config", "check", good);
        Assert.True(checkGood.ExitCode == 0, checkGood.StdOut + checkGood.StdErr);
        Assert.Contains("The configuration is valid", checkGood.StdOut, StringComparison.Ordinal);

        // Offline: the same validation of the file alone, no gateway needed.
        var offline = await RunAsync(null, null, "config", "check", "--offline", bad, "--json");
        Assert.Equal(1, offline.ExitCode);
        Assert.Contains(JsonDocument.Parse(offline.StdOut).RootElement.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("AiGuard:Admin:KeyPrefix", StringComparison.Ordinal));

        // A command line that does not parse is a usage error (2), not "the file would be refused" (1).
        Assert.Equal(2, (await RunAsync(null, null, "config", "check", "--bogus")).ExitCode);
        Assert.Equal(2, (await RunAsync(url, key, "quarantine", "add", "someone")).ExitCode);

        // Settings read at start (Redis, telemetry) are reported offline too, never thrown.
        var startOnly = Path.Combine(_dir, "start-only.json");
        await File.WriteAllTextAsync(startOnly, """{ "AiGuard": { "Telemetry": { "MaxModelNames": 0 }, "Redis": { "Configuration": "localhost,bogus=1" } } }""");
        var offlineStartOnly = await RunAsync(null, null, "config", "check", "--offline", startOnly, "--json");
        Assert.Equal(1, offlineStartOnly.ExitCode);
        var startErrors = JsonDocument.Parse(offlineStartOnly.StdOut).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains("AiGuard:Telemetry:MaxModelNames must be at least 1.", startErrors);
        Assert.Contains(startErrors, e => e.StartsWith("AiGuard:Redis:Configuration", StringComparison.Ordinal));

        // The credential is never printed.
        Assert.All(outputs, o => Assert.DoesNotContain(key, o, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unreachable_gateways_missing_and_wrong_credentials_exit_with_their_documented_codes()
    {
        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var unreachable = await RunAsync($"http://127.0.0.1:{closedPort}", "aga_x_y", "quarantine", "list");
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("cannot reach the admin API", unreachable.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("aga_x_y", unreachable.StdErr + unreachable.StdOut, StringComparison.Ordinal);

        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address);
        var url = gateway.AdminAddress.ToString();

        var missing = await RunAsync(url, null, "quarantine", "list");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("AIGUARD_ADMIN_KEY", missing.StdErr, StringComparison.Ordinal);

        var wrong = await RunAsync(url, gateway.ModelKey.Key, "status", "tester");
        Assert.Equal(4, wrong.ExitCode);
        Assert.Contains("scope_missing", wrong.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.ModelKey.Key, wrong.StdErr + wrong.StdOut, StringComparison.Ordinal);

        var keyFile = Path.Combine(_dir, "admin.key");
        await File.WriteAllTextAsync(keyFile, gateway.AdminKey.Key + "\n");
        var fromFile = await RunAsync(url, null, "quarantine", "list", "--admin-key-file", keyFile);
        Assert.True(fromFile.ExitCode == 0, fromFile.StdErr);
        Assert.Contains("No client is quarantined", fromFile.StdOut, StringComparison.Ordinal);
    }
}
