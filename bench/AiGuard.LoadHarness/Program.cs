using System.Globalization;
using System.Runtime.InteropServices;
using AiGuard.Gateway;
using AiGuard.Hosting;
using AiGuard.Identity;
using DemoModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace AiGuard.LoadHarness;

/// <summary>
/// Hosts one side of the end-to-end load benchmark (bench/load/run.sh) per process:
/// <c>keygen</c>, <c>upstream</c> (the demo model), <c>bare</c> (plain YARP) or <c>gateway</c> (full AiGuard).
/// Secrets come from environment variables so they never appear on a command line.
/// Each server role prints one line <c>READY &lt;role&gt; &lt;url&gt;</c> once it listens.
/// </summary>
internal static class Program
{
    private const string ClusterId = "demo";
    private const string UpstreamKeyVariable = "AIGUARD_BENCH_UPSTREAM_KEY";
    private const string ClientKeyIdVariable = "AIGUARD_BENCH_KEY_ID";
    private const string ClientKeyHashVariable = "AIGUARD_BENCH_KEY_HASH";

    /// <summary>The demo's routes and policies (src/AiGuard.Gateway/appsettings.Demo.json), shared by both proxies.</summary>
    private static readonly (string Id, string Path, string[]? Methods, string Policy)[] Routes =
    [
        ("openai-chat", "/v1/chat/completions", ["POST"], "llm"),
        ("openai-models", "/v1/models", ["GET"], "llm"),
        ("oip-v2", "/v2/{**rest}", null, "classifier-v2"),
        ("tf-serving", "/v1/models/{**rest}", null, "classifier-tf"),
    ];

    /// <summary>The logging both proxies run with: the gateway's own Serilog set-up, at Warning (like for like).</summary>
    private static readonly Dictionary<string, string?> Logging = new()
    {
        ["Serilog:Using:0"] = "Serilog.Sinks.Console",
        ["Serilog:MinimumLevel:Default"] = "Warning",
        ["Serilog:WriteTo:0:Name"] = "Console",
        ["Serilog:WriteTo:0:Args:formatter"] = "Serilog.Formatting.Json.JsonFormatter, Serilog",
    };

    private static async Task<int> Main(string[] args)
    {
        var role = Option(args, "--role");
        var port = int.Parse(Option(args, "--port") ?? "0", CultureInfo.InvariantCulture);
        switch (role)
        {
            case "keygen":
                // Shell-friendly lines for `source`/eval in run.sh.
                var upstream = ApiKeyFormat.Generate("upstream");
                var client = ApiKeyFormat.Generate();
                Console.WriteLine($"AIGUARD_BENCH_UPSTREAM_KEY={upstream.Key}");
                Console.WriteLine($"AIGUARD_BENCH_KEY={client.Key}");
                Console.WriteLine($"AIGUARD_BENCH_KEY_ID={client.Id}");
                Console.WriteLine($"AIGUARD_BENCH_KEY_HASH={client.Hash}");
                return 0;
            case "upstream":
                return await RunAsync("upstream", DemoModelServer.Build(["--urls", Url(port)], o => o.RequiredApiKey = Env(UpstreamKeyVariable)));
            case "bare":
                return await RunAsync("bare", BuildBare(port, Require(args, "--upstream")));
            case "gateway":
                return await RunAsync("gateway", BuildGateway(port, Require(args, "--upstream")));
            case "gateway-variant":
                // The same gateway with a variant (limits, budgets, anomaly), beside the plain one in the same run.
                Environment.SetEnvironmentVariable("AIGUARD_BENCH_VARIANT", Require(args, "--variant"));
                return await RunAsync("gateway-variant", BuildGateway(port, Require(args, "--upstream")));
            case "ttft":
                return await StreamLatency.RunAsync(args);
            default:
                await Console.Error.WriteLineAsync("usage: AiGuard.LoadHarness --role keygen|upstream|bare|gateway|gateway-variant|ttft [--port N] [--upstream URL] [--variant limits|budgets|anomaly|anomaly-unscored|anomaly-every|anomaly-every-inline|text-guards] [--target name=url ... --requests N --chunk-chars N --delay-ms N]");
                return 2;
        }
    }

    /// <summary>A bare YARP proxy: same host builder, routes, cluster and logging as the gateway, the upstream credential set by a plain header transform.</summary>
    private static WebApplication BuildBare(int port, string upstream)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(Logging);
        builder.Logging.AddAiGuardSerilog(builder.Configuration);
        builder.WebHost.UseUrls(Url(port));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        var upstreamCredential = "Bearer " + Env(UpstreamKeyVariable);
        var routes = Routes.Select(r => new RouteConfig
        {
            RouteId = r.Id,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = r.Path, Methods = r.Methods },
            Transforms =
            [
                new Dictionary<string, string> { ["RequestHeader"] = "Authorization", ["Set"] = upstreamCredential },
            ],
        }).ToArray();
        var clusters = new[]
        {
            new ClusterConfig
            {
                ClusterId = ClusterId,
                HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(1) },
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    ["demo-model"] = new DestinationConfig { Address = upstream },
                },
            },
        };
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

        var app = builder.Build();
        app.MapReverseProxy();
        return app;
    }

    /// <summary>
    /// The full AiGuard gateway: the same routes with their AiGuard policies (probability hardening
    /// on the classifier routes, header scrubbing everywhere), one key, audit console off.
    /// </summary>
    private static WebApplication BuildGateway(int port, string upstream)
    {
        var settings = new Dictionary<string, string?>(Logging)
        {
            ["ReverseProxy:Clusters:demo:HttpRequest:ActivityTimeout"] = "00:01:00",
            ["ReverseProxy:Clusters:demo:Destinations:demo-model:Address"] = upstream,
            ["AiGuard:Upstreams:demo:Credential"] = Env(UpstreamKeyVariable),
            ["AiGuard:ApiKeys:Keys:0:Id"] = Env(ClientKeyIdVariable),
            ["AiGuard:ApiKeys:Keys:0:Hash"] = Env(ClientKeyHashVariable),
            ["AiGuard:ApiKeys:Keys:0:ClientId"] = "bench-client",
            ["AiGuard:ApiKeys:Keys:0:Tenant"] = "bench",
            ["AiGuard:ApiKeys:Keys:0:Scopes:0"] = "inference",
            ["AiGuard:ApiKeys:Keys:0:AllowedRoutes:0"] = "*",
            ["AiGuard:ApiKeys:Keys:0:AllowedModels:0"] = "demo-*",
            ["AiGuard:ApiKeys:Keys:0:Description"] = "load benchmark",
            ["AiGuard:Audit:Console"] = "false",
            // No refusal happens under this load, but the audit trail needs a destination.
            ["AiGuard:Audit:FilePath"] = Path.Combine(Path.GetTempPath(), "aiguard-bench", "audit.log"),
            // The admin listener on a port the OS chooses: two gateways run side by side (COMPARE), and 8081 may be taken.
            ["AiGuard:Admin:Urls"] = "http://127.0.0.1:0",
        };
        foreach (var route in Routes)
        {
            settings[$"ReverseProxy:Routes:{route.Id}:ClusterId"] = ClusterId;
            settings[$"ReverseProxy:Routes:{route.Id}:Match:Path"] = route.Path;
            for (var i = 0; i < (route.Methods?.Length ?? 0); i++)
            {
                settings[$"ReverseProxy:Routes:{route.Id}:Match:Methods:{i}"] = route.Methods![i];
            }

            settings[$"ReverseProxy:Routes:{route.Id}:Metadata:AiGuard.Policy"] = route.Policy;
        }

        settings["AiGuard:Policies:llm:Protocol"] = "openai";
        settings["AiGuard:Policies:classifier-v2:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:classifier-v2:Output:Hardening:Decimals"] = "4";
        settings["AiGuard:Policies:classifier-tf:Protocol"] = "tf-serving";
        settings["AiGuard:Policies:classifier-tf:Output:Hardening:Decimals"] = "4";
        foreach (var policy in new[] { "llm", "classifier-v2", "classifier-tf" })
        {
            settings[$"AiGuard:Policies:{policy}:RequiredScopes:0"] = "inference";
        }

        // AIGUARD_BENCH_VARIANT=no-response-stages measures the gateway without its response phase
        // (no hardening, no header scrubbing), to attribute the cost of that phase.
        if (Environment.GetEnvironmentVariable("AIGUARD_BENCH_VARIANT") == "no-response-stages")
        {
            foreach (var policy in new[] { "llm", "classifier-v2", "classifier-tf" })
            {
                settings[$"AiGuard:Policies:{policy}:Output:RemoveServerHeaders"] = "false";
                settings.Remove($"AiGuard:Policies:{policy}:Output:Hardening:Decimals");
            }
        }

        // AIGUARD_BENCH_VARIANT=limits adds request limits that never refuse under this load: a
        // per-client and a per-tenant fixed window on every route. With Redis (run.sh REDIS=1) each
        // replica takes blocks of 100 permits per round trip (LeaseSize); in process that changes nothing.
        if (Environment.GetEnvironmentVariable("AIGUARD_BENCH_VARIANT") == "limits")
        {
            settings["AiGuard:RateLimits:Policies:client-window:PermitLimit"] = "10000000";
            settings["AiGuard:RateLimits:Policies:client-window:Window"] = "00:01:00";
            settings["AiGuard:RateLimits:Policies:client-window:LeaseSize"] = "100";
            settings["AiGuard:RateLimits:Policies:tenant-window:PermitLimit"] = "100000000";
            settings["AiGuard:RateLimits:Policies:tenant-window:Window"] = "01:00:00";
            settings["AiGuard:RateLimits:Policies:tenant-window:PartitionBy:0"] = "Tenant";
            settings["AiGuard:RateLimits:Policies:tenant-window:LeaseSize"] = "100";
            foreach (var policy in new[] { "llm", "classifier-v2", "classifier-tf" })
            {
                settings[$"AiGuard:Policies:{policy}:RateLimits:0"] = "client-window";
                settings[$"AiGuard:Policies:{policy}:RateLimits:1"] = "tenant-window";
            }
        }

        // AIGUARD_BENCH_VARIANT=budgets adds token budgets that never refuse under this load to the
        // chat route: a per-client budget per minute and a per-tenant budget per day. Each request
        // reserves its prompt and max_tokens before forwarding and is settled to the reported usage
        // after the answer; with Redis (run.sh REDIS=1) both steps are a script run on the server.
        if (Environment.GetEnvironmentVariable("AIGUARD_BENCH_VARIANT") == "budgets")
        {
            settings["AiGuard:TokenBudgets:Policies:client-tokens:PerMinute"] = "1000000000000";
            settings["AiGuard:TokenBudgets:Policies:tenant-tokens:PartitionBy:0"] = "Tenant";
            settings["AiGuard:TokenBudgets:Policies:tenant-tokens:PerDay"] = "100000000000000";
            settings["AiGuard:Policies:llm:TokenBudgets:0"] = "client-tokens";
            settings["AiGuard:Policies:llm:TokenBudgets:1"] = "tenant-tokens";
        }

        // run.sh REDIS=1: the limits or the budgets of those variants counted in Redis.
        if (Environment.GetEnvironmentVariable("AIGUARD_BENCH_VARIANT") is "limits" or "budgets"
            && Environment.GetEnvironmentVariable("AIGUARD_BENCH_REDIS") is { Length: > 0 } redis)
        {
            settings["AiGuard:Redis:Configuration"] = redis;
        }

        // AIGUARD_BENCH_VARIANT=anomaly: the anomaly engine (the shipped model, the demo classifier's
        // reference file) on every route, in shadow mode, so the load's one repeated client is
        // observed on every request, scored on its schedule and never refused.
        // anomaly-unscored: the same, but no client reaches MinRequests, to split observing from scoring.
        // anomaly-every: the client is due on every request (no 1 ms interval, no every-8th), the
        // per-request cost with many clients each below a request a millisecond;
        // anomaly-every-inline: the same, scored inline instead of in batches.
        var variant = Environment.GetEnvironmentVariable("AIGUARD_BENCH_VARIANT");
        if (variant is "anomaly" or "anomaly-unscored" or "anomaly-every" or "anomaly-every-inline")
        {
            if (variant == "anomaly-unscored")
            {
                settings["AiGuard:Anomaly:MinRequests"] = int.MaxValue.ToString(CultureInfo.InvariantCulture);
            }

            if (variant is "anomaly-every" or "anomaly-every-inline")
            {
                settings["AiGuard:Anomaly:MinScoreInterval"] = "00:00:00";
                settings["AiGuard:Anomaly:ScoreEveryRequestUntil"] = int.MaxValue.ToString(CultureInfo.InvariantCulture);
                settings["AiGuard:Anomaly:BatchScoring"] = variant == "anomaly-every" ? "true" : "false";
            }

            settings["AiGuard:Anomaly:References:demo-classifier"] = "models/demo-classifier.reference.json";
            settings["AiGuard:Anomaly:Policies:shadow:Actions:0:Threshold"] = "0.5";
            settings["AiGuard:Anomaly:Policies:shadow:Actions:0:Action"] = "Observe";
            foreach (var policy in new[] { "llm", "classifier-v2", "classifier-tf" })
            {
                settings[$"AiGuard:Policies:{policy}:Anomaly"] = "shadow";
            }
        }

        // text-guards: every text guard on the chat route: the generation-parameter policy, the PII and
        // secret guard on prompts and answers (streams too), the prompt-leak guard and prompt-injection
        // detection (Block). The load's prompt is benign and holds no personal data, so every request
        // and answer is inspected and passed on as sent.
        if (variant == "text-guards")
        {
            settings["AiGuard:Policies:llm:Parameters:MaxTokens"] = "2048";
            settings["AiGuard:Policies:llm:Parameters:MaxN"] = "4";
            foreach (var type in new[] { "CreditCard", "Iban", "Email", "Phone" })
            {
                settings[$"AiGuard:Policies:llm:SensitiveData:Actions:{type}"] = "Redact";
            }

            settings["AiGuard:Policies:llm:SensitiveData:Actions:UsSsn"] = "Block";
            settings["AiGuard:Policies:llm:SensitiveData:Actions:Secret"] = "Redact";
            settings["AiGuard:Policies:llm:PromptInjection:Action"] = "Block";
            settings["AiGuard:Policies:llm:PromptLeak:Canaries:0"] = "CANARY-BENCH-5E21C0";
            settings["AiGuard:Policies:llm:PromptLeak:ProtectRequestSystemPrompt"] = "true";
        }

        // AIGUARD_BENCH_SETTINGS="key=value;key=": extra settings for the variant (an empty value removes one), to split what a variant costs.
        if (variant is not null && Environment.GetEnvironmentVariable("AIGUARD_BENCH_SETTINGS") is { Length: > 0 } extra)
        {
            foreach (var pair in extra.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, v) : throw new InvalidOperationException($"AIGUARD_BENCH_SETTINGS: '{pair}' is not key=value.");
                if (value.Length == 0) { settings.Remove(key); } else { settings[key] = value; }
            }
        }

        return GatewayApp.Build([], builder =>
        {
            // Only these settings (not the appsettings.json copied next to the harness), like the bare proxy.
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls(Url(port));
        });
    }

    private static async Task<int> RunAsync(string role, WebApplication app)
    {
        await using (app)
        {
            await app.StartAsync();
            Console.WriteLine($"READY {role} {app.Urls.Single().TrimEnd('/')}");
            // SIGUSR1 (10 on Linux) prints a line run.sh reads between runs: bytes allocated, collections, JIT work,
            // thread-pool work items completed and lock contentions so far.
            using var stats = PosixSignalRegistration.Create((PosixSignal)10, context =>
            {
                context.Cancel = true;
                Console.WriteLine(
                    $"STATS allocated={GC.GetTotalAllocatedBytes(precise: true)} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} " +
                    $"jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount()} jit_ms={System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} " +
                    $"work_items={ThreadPool.CompletedWorkItemCount} lock_contentions={Monitor.LockContentionCount} threads={ThreadPool.ThreadCount}");
            });
            await app.WaitForShutdownAsync();
        }

        return 0;
    }

    private static string Url(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    private static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Environment variable {name} is not set (run.sh sets it from --role keygen).");

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static string Require(string[] args, string name) =>
        Option(args, name) ?? throw new InvalidOperationException($"{name} is required for this role.");
}
