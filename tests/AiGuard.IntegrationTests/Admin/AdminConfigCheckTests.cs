using System.Net;
using System.Text;
using AiGuard.Configuration;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace AiGuard.IntegrationTests.Admin;

/// <summary>A configuration check answers with exactly the errors the gateway's reload logs for the same file.</summary>
public sealed class AdminConfigCheckTests : IDisposable
{
    private const string Good = """{ "AiGuard": { "Policies": { "llm": { "Parameters": { "MaxTokens": 100 } } } } }""";

    // Several mistakes at once, in AiGuard's own checks, YARP's and the admin section's.
    private const string Bad = """
        {
          // comments are allowed, as in any appsettings file
          "AiGuard": {
            "Policies": { "llm": { "Protocol": "grpc", "RateLimits": [ "nope" ] } },
            "Admin": { "KeyPrefix": "agk", "Keys": [ { "Id": "ops", "Hash": "not-a-hash" } ] }
          },
          "ReverseProxy": { "Routes": { "chat": { "Match": { "Path": "/v1/chat/completions" }, "ClusterId": "missing" } } }
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("aiguard-admin-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_bad_file_gets_the_errors_a_reload_logs_and_a_good_one_passes()
    {
        var file = Path.Combine(_dir, "operator.json");
        var log = Path.Combine(_dir, "gateway.log");
        await File.WriteAllTextAsync(file, Good);
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(
            upstream.Address,
            s =>
            {
                s["Serilog:Using:0"] = "Serilog.Sinks.File";
                s["Serilog:WriteTo:0:Name"] = "File";
                s["Serilog:WriteTo:0:Args:path"] = log;
                s["Serilog:WriteTo:0:Args:outputTemplate"] = "{Message:lj}{NewLine}";
            },
            b => ((IConfigurationBuilder)b.Configuration).Add(new OperatorSettingsFile { Path = "operator.json", FileProvider = new PhysicalFileProvider(_dir), Optional = false, ReloadOnChange = false }));

        using (var good = await gateway.Admin.PostAsync("/admin/v1/config/check", new StringContent(Good, Encoding.UTF8, "application/json")))
        {
            var body = await AdminGateway.JsonAsync(good);
            Assert.True(body.GetProperty("valid").GetBoolean(), body.ToString());
            Assert.Contains("in place of the gateway's settings file", body.GetProperty("placement").GetString(), StringComparison.Ordinal);
        }

        using var checkedBad = await gateway.Admin.PostAsync("/admin/v1/config/check", new StringContent(Bad, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, checkedBad.StatusCode);
        var report = await AdminGateway.JsonAsync(checkedBad);
        Assert.False(report.GetProperty("valid").GetBoolean());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.True(errors.Count >= 4, string.Join("\n", errors));
        Assert.Contains(errors, e => e.StartsWith("AiGuard:Admin:KeyPrefix", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AiGuard:Admin:Keys:0:Hash", StringComparison.Ordinal));
        Assert.DoesNotContain("not-a-hash", string.Join("\n", errors), StringComparison.Ordinal);

        // The same file deployed: the reload refuses it and logs the same errors, in the same order.
        await File.WriteAllTextAsync(file, Bad);
        gateway.Gateway.Configuration.Reload();
        string[] lines;
        await using (var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            lines = [.. (await reader.ReadToEndAsync()).Split('\n').Where(l => l.StartsWith("Configuration change rejected", StringComparison.Ordinal)).Select(l => l.TrimEnd('\r'))];
        }

        // (One reload may be announced more than once; each announcement logs the same rejection.)
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.StartsWith($"Configuration change rejected ({errors.Count} problems)", line, StringComparison.Ordinal);
            var logged = line[(line.IndexOf("stays in force: ", StringComparison.Ordinal) + "stays in force: ".Length)..].Split(" | ");
            Assert.Equal(errors, logged);
        }

        // The gateway kept serving under its old configuration.
        using var chat = await gateway.ChatAsync(gateway.ModelKey);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [SkippableFact]
    public async Task Files_a_proposal_names_are_read_safely_and_hashes_it_does_not_pin_are_not_shown()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "/dev/zero and /proc are Linux paths");
        var secretFile = Path.Combine(_dir, "mounted-secret");
        await File.WriteAllTextAsync(secretFile, "hunter2");
        var realHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("hunter2")));
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address);

        async Task<List<string>> ErrorsFor(string proposal)
        {
            using var response = await gateway.Admin.PostAsync("/admin/v1/config/check", new StringContent(proposal, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var report = await AdminGateway.JsonAsync(response);
            Assert.False(report.GetProperty("valid").GetBoolean());
            return [.. report.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)];
        }

        // A device, a /proc file: refused as not regular files, not read forever (or a 500).
        foreach (var path in new[] { "/dev/zero", "/proc/self/mem" })
        {
            var errors = await ErrorsFor($$"""{ "AiGuard": { "Policies": { "llm": { "PromptInjection": { "Action": "Block", "Model": "{{path}}" } } } } }""");
            Assert.Contains(errors, e => e.Contains("not a regular file", StringComparison.Ordinal) && e.StartsWith("AiGuard:Policies:llm:PromptInjection:Model", StringComparison.Ordinal));
        }

        // A readable file with a wrong pin: refused without telling the caller the file's hash.
        var pinned = await ErrorsFor($$"""{ "AiGuard": { "Policies": { "llm": { "PromptInjection": { "Action": "Block", "Model": "{{secretFile}}", "ModelSha256": "{{new string('0', 64)}}" } } } } }""");
        Assert.Contains(pinned, e => e.Contains("(not shown)", StringComparison.Ordinal));
        Assert.DoesNotContain(realHash, string.Join("\n", pinned), StringComparison.OrdinalIgnoreCase);

        // Settings read only at start are checked too: the next start would refuse them.
        var telemetry = await ErrorsFor("""{ "AiGuard": { "Telemetry": { "MaxModelNames": 0, "Prometheus": { "Enabled": true, "Listener": "admn" } } } }""");
        Assert.Contains("AiGuard:Telemetry:MaxModelNames must be at least 1.", telemetry);
        Assert.Contains("AiGuard:Telemetry:Prometheus:Listener 'admn' is not one of: admin, gateway.", telemetry);

        // A value that does not convert is the schema check's error, not a failed check.
        var mistyped = await ErrorsFor("""{ "AiGuard": { "Telemetry": { "MaxModelNames": "lots" }, "Admin": { "Enabled": "yes" } } }""");
        Assert.Contains(mistyped, e => e.StartsWith("AiGuard:Telemetry:MaxModelNames", StringComparison.Ordinal) && e.Contains("'lots'", StringComparison.Ordinal));
    }
}
