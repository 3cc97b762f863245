using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AiGuard.IntegrationTests.Cli;

/// <summary>
/// The real <c>aiguard redteam</c> process against real gateways on loopback: the demo as
/// <c>aiguard demo</c> runs it, a gateway with the text guards and limits off, and bad targets.
/// </summary>
public sealed class RedTeamTests : IDisposable
{
    private static readonly string[] AllCategories = ["credentials", "bodies", "injection", "pii", "parameters", "anomaly", "floods"];

    private readonly string _dir = Directory.CreateTempSubdirectory("aiguard-redteam-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Against_the_demo_every_category_is_exercised_and_nothing_that_policy_stops_gets_through()
    {
        await using var demo = await DemoProcess.StartAsync(_dir);

        // First the table (the floods last in the JSON run: they get this address throttled for a minute).
        var text = await AiGuardCli.RunAsync(_dir, "redteam", "--target", demo.Address, "--key", demo.Key, "--skip", "floods,anomaly");
        Assert.True(text.ExitCode == 0, text.StdOut + text.StdErr);
        Assert.Contains("Result: every applicable probe was stopped.", text.StdOut, StringComparison.Ordinal);
        foreach (var category in new[] { "credentials", "bodies", "injection", "pii", "parameters" })
        {
            Assert.Matches($"│ {category} +│ +\\d+ │", text.StdOut);
        }

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", demo.Address, "--key", demo.Key, "--json");

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        Assert.Empty(root.GetProperty("gotThrough").EnumerateArray());
        var categories = root.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(AllCategories, categories.Keys);
        foreach (var (name, category) in categories)
        {
            // Exercised: requests went out and the gateway stopped something in every category.
            Assert.True(category.GetProperty("requests").GetInt32() > 0, name);
            Assert.True(category.GetProperty("stopped").GetInt32() > 0, name);
            Assert.Equal(0, category.GetProperty("errors").GetInt32());
        }

        var probes = root.GetProperty("probes").EnumerateArray().ToArray();
        Assert.DoesNotContain(probes, p => p.GetProperty("verdict").GetString() == "got_through");
        // The role-play and repeat-the-words-above extractions are refused by the detector's rule floors.
        Assert.Equal("stopped", Verdict(probes, "injection", "roleplay-grandma"));
        Assert.Equal("stopped", Verdict(probes, "injection", "extraction-repeat"));
        // The demo's chat route inspects tool definitions: poisoned descriptions are refused.
        Assert.Equal("stopped", Verdict(probes, "injection", "tool-poisoning-description"));
        Assert.Equal("stopped", Verdict(probes, "injection", "tool-poisoning-parameter"));
        Assert.Equal("stopped", Verdict(probes, "injection", "tool-shadowing"));
        // "Token ghp_... works" is not taken for leetspeak: the PII guard redacts it, no prompt_injection refusal.
        Assert.StartsWith("redacted to", Detail(probes, "pii", "api-key"), StringComparison.Ordinal);
        // The generated card number and IBAN pass the gateway's Luhn and mod-97 checks: they are redacted.
        Assert.Equal("redacted to [CREDIT_CARD]", Detail(probes, "pii", "credit-card"));
        Assert.Equal("redacted to [IBAN]", Detail(probes, "pii", "iban"));
        Assert.Equal("stopped", Verdict(probes, "pii", "streamed-card-and-email"));
        Assert.Equal("stopped", Verdict(probes, "anomaly", "extraction-copycat"));
        Assert.Equal("stopped", Verdict(probes, "floods", "wrong-key-burst"));
        // The demo configures no request limit, which the route's answers show.
        Assert.Equal("not_applicable", Verdict(probes, "floods", "authenticated-burst"));
        Assert.InRange(root.GetProperty("requests").GetInt32(), 100, 2000);
        Assert.True(root.GetProperty("elapsedSeconds").GetDouble() < 60);
        Assert.DoesNotContain(demo.Key, text.StdOut + text.StdErr + run.StdOut + run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Against_a_gateway_with_the_text_guards_and_limits_off_it_names_what_got_through_and_exits_1()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream.Address).WithKey(key);
        settings["AiGuard:Limits:MaxBodyBytes"] = (64 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["AiGuard:Limits:MaxJsonDepth"] = "1000";
        settings["AiGuard:Limits:MaxJsonElements"] = "10000000";
        settings["AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit"] = "0";
        settings["AiGuard:RateLimits:Authentication:FailuresPerKeyId:PermitLimit"] = "0";
        settings["AiGuard:RateLimits:Authentication:UnauthenticatedPerAddress:PermitLimit"] = "0";
        await using var gateway = await GatewayUnderTest.StartAsync(settings);

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", gateway.Address.ToString(), "--key", key.Key, "--json", "--anomaly-queries", "60", "--flood-requests", "40");

        Assert.True(run.ExitCode == 1, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        var root = report.RootElement;
        var breached = root.GetProperty("gotThrough").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["bodies", "injection", "pii", "parameters", "anomaly", "floods"], breached);
        var probes = root.GetProperty("probes").EnumerateArray().ToArray();
        Assert.Equal("got_through", Verdict(probes, "pii", "credit-card"));
        Assert.Contains("repeats 1 of 1", Detail(probes, "pii", "credit-card"), StringComparison.Ordinal);
        Assert.Equal("got_through", Verdict(probes, "pii", "streamed-api-key"));
        Assert.Equal("got_through", Verdict(probes, "parameters", "top-logprobs-20"));
        Assert.Equal("got_through", Verdict(probes, "bodies", "oversized-body"));
        Assert.Equal("got_through", Verdict(probes, "floods", "wrong-key-burst"));
        // The keys themselves are still checked, and the model's own 400 is no refusal of the gateway's.
        Assert.All(probes.Where(p => p.GetProperty("category").GetString() == "credentials"), p => Assert.Equal("stopped", p.GetProperty("verdict").GetString()));
        Assert.Contains("without a problem code", Detail(probes, "parameters", "many-choices"), StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key, run.StdOut + run.StdErr, StringComparison.Ordinal);
        // Progress went to stderr, one line per category.
        Assert.Contains("injection: 24 probes, 24 requests: 0 stopped, 24 got through", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_request_limit_is_reported_stopped_when_the_burst_gets_429_with_retry_after()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream.Address).WithKey(key);
        settings["AiGuard:RateLimits:Policies:minute:Kind"] = "FixedWindow";
        settings["AiGuard:RateLimits:Policies:minute:PermitLimit"] = "20";
        settings["AiGuard:RateLimits:Policies:minute:Window"] = "00:01:00";
        settings["AiGuard:Policies:llm:RateLimits:0"] = "minute";
        await using var gateway = await GatewayUnderTest.StartAsync(settings);

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", gateway.Address.ToString(), "--key", key.Key, "--json", "--only", "floods");

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        var probes = report.RootElement.GetProperty("probes").EnumerateArray().ToArray();
        Assert.Equal(3, probes.Length);
        Assert.Equal("stopped", Verdict(probes, "floods", "authenticated-burst"));
        // The preflight request took one permit of the 20.
        Assert.Matches("^429 rate_limited with Retry-After \\d+ s after 19 served$", Detail(probes, "floods", "authenticated-burst"));
    }

    [Fact]
    public async Task Probes_that_meet_a_throttle_of_their_own_client_make_the_run_inconclusive_not_clean()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream.Address).WithKey(key);
        settings["AiGuard:Policies:llm:PromptInjection:Action"] = "Block";
        settings["AiGuard:RateLimits:Policies:minute:Kind"] = "FixedWindow";
        settings["AiGuard:RateLimits:Policies:minute:PermitLimit"] = "6";
        settings["AiGuard:RateLimits:Policies:minute:Window"] = "00:01:00";
        settings["AiGuard:Policies:llm:RateLimits:0"] = "minute";
        await using var gateway = await GatewayUnderTest.StartAsync(settings);

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", gateway.Address.ToString(), "--key", key.Key, "--json", "--only", "injection");

        Assert.True(run.ExitCode == 5, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        var probes = report.RootElement.GetProperty("probes").EnumerateArray().ToArray();
        // The preflight took one permit; the injection guard refused the next five, the limit the rest.
        Assert.Equal(5, probes.Count(p => p.GetProperty("verdict").GetString() == "stopped"));
        var throttled = probes.Where(p => p.GetProperty("throttled").GetBoolean()).ToArray();
        Assert.Equal(probes.Length - 5, throttled.Length);
        Assert.All(throttled, p => Assert.Equal("refused 429 rate_limited before the check this probe aims at", p.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task The_request_budget_bounds_the_run_and_a_run_cut_short_is_inconclusive_with_exit_code_5()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        await using var gateway = await GatewayUnderTest.StartAsync(GatewaySettings.ForDemo(upstream.Address).WithKey(key));

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", gateway.Address.ToString(), "--key", key.Key, "--max-requests", "20");

        Assert.True(run.ExitCode == 5, run.StdOut + run.StdErr);
        Assert.Contains("Result: inconclusive", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("The run stopped early: the request limit was reached (--max-requests 20", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("20 requests in", run.StdOut, StringComparison.Ordinal);
        Assert.Matches("probe\\(s\\) after it were not run", run.StdOut);
        Assert.Matches("│ floods +│ +3 │ +0 │ +0 │ +0 │ +3 │ +0 │", run.StdOut);
    }

    [Fact]
    public async Task A_gateway_that_answers_500_is_reported_as_failing_never_as_stopping()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var broken = builder.Build();
        broken.Run(context =>
        {
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/problem+json";
            return context.Response.WriteAsync("""{"status":500,"code":"internal_error"}""");
        });
        await broken.StartAsync();

        var run = await AiGuardCli.RunAsync(_dir, "redteam", "--target", broken.Urls.Single(), "--key", ApiKeyFormat.Generate().Key, "--json", "--only", "credentials,bodies");

        Assert.True(run.ExitCode == 4, run.StdOut + run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        Assert.All(report.RootElement.GetProperty("probes").EnumerateArray(), p =>
        {
            Assert.Equal("error", p.GetProperty("verdict").GetString());
            Assert.Equal("500 internal_error", p.GetProperty("detail").GetString());
        });
    }

    [Theory]
    [InlineData("no target", new[] { "--key", "agk_x_y" }, "--target is required")]
    [InlineData("not a URL", new[] { "--target", "gateway.local", "--key", "agk_x_y" }, "--target 'gateway.local' is not an absolute http:// or https:// URL.")]
    [InlineData("other scheme", new[] { "--target", "ftp://127.0.0.1/", "--key", "agk_x_y" }, "is not an absolute http:// or https:// URL.")]
    [InlineData("query in target", new[] { "--target", "http://127.0.0.1:1/?key=abc", "--key", "agk_x_y" }, "without user information, query or fragment")]
    [InlineData("no key", new[] { "--target", "http://127.0.0.1:1" }, "--key is required (or set AIGUARD_REDTEAM_KEY).")]
    [InlineData("zero requests", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--max-requests", "0" }, "--max-requests '0' must be a whole number from 1 to 100000.")]
    [InlineData("words for a number", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--time-limit", "soon" }, "--time-limit 'soon' must be a whole number from 1 to 3600.")]
    [InlineData("unknown category", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--only", "credentials,sqli" }, "--only: unknown category 'sqli'")]
    [InlineData("nothing left", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--only", "pii", "--skip", "pii" }, "--only and --skip leave no category to run.")]
    [InlineData("unknown probe", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--accept", "injection/nope" }, "--accept: no probe is called 'injection/nope'")]
    [InlineData("bad path", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--chat-path", "v1/chat" }, "--chat-path 'v1/chat' must be an absolute path")]
    [InlineData("unknown option", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--fast" }, "unknown argument '--fast'")]
    [InlineData("stray word", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "everything" }, "unknown argument 'everything'")]
    [InlineData("option without its value", new[] { "--target", "http://127.0.0.1:1", "--key", "agk_x_y", "--max-requests" }, "--max-requests needs a value.")]
    [InlineData("key without its value", new[] { "--target", "http://127.0.0.1:1", "--key", "--json" }, "--key needs a value.")]
    public async Task Bad_arguments_get_one_clear_error_and_exit_code_2(string why, string[] args, string message)
    {
        var (exit, stdout, stderr) = await AiGuardCli.RunAsync(_dir, ["redteam", .. args]);

        Assert.True(exit == 2, why + ": " + stdout + stderr);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.StartsWith("aiguard redteam: ", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task An_unreachable_target_is_one_clear_error_and_exit_code_3()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exit, stdout, stderr) = await AiGuardCli.RunAsync(_dir, "redteam", "--target", $"http://127.0.0.1:{port}", "--key", ApiKeyFormat.Generate().Key);

        Assert.Equal(3, exit);
        Assert.Equal($"aiguard redteam: cannot reach http://127.0.0.1:{port}/: connection refused.", stderr.Trim());
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task A_key_the_gateway_refuses_is_one_clear_error_and_exit_code_3_without_printing_the_key()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(GatewaySettings.ForDemo(upstream.Address).WithKey(ApiKeyFormat.Generate()));
        var wrong = ApiKeyFormat.Generate().Key;

        var (exit, stdout, stderr) = await AiGuardCli.RunAsync(_dir, "redteam", "--target", gateway.Address.ToString(), "--key", wrong);

        Assert.Equal(3, exit);
        Assert.Equal("aiguard redteam: the gateway does not accept the key (401 invalid_api_key).", stderr.Trim());
        Assert.Empty(stdout);
        // The one request it sent is the one refusal the gateway audited.
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Count > 0);
        Assert.Equal("invalid_api_key", Assert.Single(gateway.Audit.Events).Code);
    }

    private static string Verdict(JsonElement[] probes, string category, string name) =>
        Probe(probes, category, name).GetProperty("verdict").GetString()!;

    private static string Detail(JsonElement[] probes, string category, string name) =>
        Probe(probes, category, name).GetProperty("detail").GetString()!;

    private static JsonElement Probe(JsonElement[] probes, string category, string name) =>
        probes.Single(p => p.GetProperty("category").GetString() == category && p.GetProperty("name").GetString() == name);
}
