using System.Diagnostics.Metrics;
using System.Text;
using AiGuard.Audit;
using AiGuard.Authorization;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Inspection.Output;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using AiGuard.Protocols.TfServing;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Benchmarks;

/// <summary>
/// AiGuard's whole request-side walk in-process (gate, parse, stages) with forwarding replaced
/// by a no-op: the CPU and memory AiGuard adds before YARP forwards, without sockets or noise.
/// The baseline builds the same request context and does nothing else.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class GatewayPipelineBenchmarks
{
    private static readonly byte[] ChatBody = Encoding.UTF8.GetBytes(
        """{"model":"demo-chat","max_tokens":16,"temperature":0.2,"messages":[{"role":"system","content":"You are a concise assistant for a support team."},{"role":"user","content":"Summarise in one sentence why our nightly build failed after the dependency upgrade."}]}""");

    /// <summary>A later turn of a conversation: a 2 KB system prompt resent with a short question.</summary>
    private static readonly byte[] LongChatBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"demo-chat","max_tokens":16,"messages":[{"role":"system","content":"{{string.Concat(Enumerable.Range(1, 30).Select(i => $"Rule {i}: answer questions about our build system briefly and cite the runbook. "))}}"},{"role":"user","content":"Why did the nightly build fail?"}]}""");

    private static readonly byte[] InferBody = Encoding.UTF8.GetBytes(
        """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""");

    private GuardMiddleware _gate = null!;
    private Endpoint _chat = null!;
    private Endpoint _infer = null!;
    private Endpoint _limited = null!;
    private Endpoint _guarded = null!;
    private Endpoint _budgeted = null!;
    private string _authorization = null!;
    private readonly ConnectionItems _connection = new();

    [GlobalSetup]
    public void Setup()
    {
        var key = ApiKeyFormat.Generate();
        _authorization = "Bearer " + key.Key;
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:chat:ClusterId"] = "demo",
            ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
            ["ReverseProxy:Routes:chat:Metadata:AiGuard.Policy"] = "llm",
            ["ReverseProxy:Routes:infer:ClusterId"] = "demo",
            ["ReverseProxy:Routes:infer:Match:Path"] = "/v2/{**rest}",
            ["ReverseProxy:Routes:infer:Metadata:AiGuard.Policy"] = "v2",
            ["ReverseProxy:Clusters:demo:Destinations:d1:Address"] = "http://127.0.0.1:9/",
            ["AiGuard:Policies:llm:Protocol"] = "openai",
            ["AiGuard:Policies:llm:RequiredScopes:0"] = "inference",
            ["AiGuard:Policies:v2:Protocol"] = "open-inference-v2",
            ["AiGuard:Policies:v2:RequiredScopes:0"] = "inference",
            ["AiGuard:ApiKeys:Keys:0:Id"] = key.Id,
            ["AiGuard:ApiKeys:Keys:0:Hash"] = key.Hash,
            ["AiGuard:ApiKeys:Keys:0:Scopes:0"] = "inference",
            ["AiGuard:ApiKeys:Keys:0:AllowedRoutes:0"] = "*",
            ["AiGuard:ApiKeys:Keys:0:AllowedModels:0"] = "demo-*",
            ["AiGuard:Audit:Console"] = "false",
            // The chat route again, with a per-client and a per-tenant fixed window that never refuse here.
            ["ReverseProxy:Routes:limited:ClusterId"] = "demo",
            ["ReverseProxy:Routes:limited:Match:Path"] = "/l/{**rest}",
            ["ReverseProxy:Routes:limited:Metadata:AiGuard.Policy"] = "llm-limited",
            ["ReverseProxy:Routes:limited:Transforms:0:PathRemovePrefix"] = "/l",
            ["AiGuard:Policies:llm-limited:Protocol"] = "openai",
            ["AiGuard:Policies:llm-limited:RequiredScopes:0"] = "inference",
            ["AiGuard:Policies:llm-limited:RateLimits:0"] = "client",
            ["AiGuard:Policies:llm-limited:RateLimits:1"] = "tenant",
            ["AiGuard:RateLimits:Policies:client:PermitLimit"] = "2000000000",
            ["AiGuard:RateLimits:Policies:client:Window"] = "01:00:00",
            ["AiGuard:RateLimits:Policies:tenant:PermitLimit"] = "2000000000",
            ["AiGuard:RateLimits:Policies:tenant:Window"] = "01:00:00",
            ["AiGuard:RateLimits:Policies:tenant:PartitionBy:0"] = "Tenant",
            // The chat route again with a per-client and a per-tenant token budget (in process) that never refuse here.
            ["ReverseProxy:Routes:budgeted:ClusterId"] = "demo",
            ["ReverseProxy:Routes:budgeted:Match:Path"] = "/b/{**rest}",
            ["ReverseProxy:Routes:budgeted:Metadata:AiGuard.Policy"] = "llm-budgeted",
            ["ReverseProxy:Routes:budgeted:Transforms:0:PathRemovePrefix"] = "/b",
            ["AiGuard:Policies:llm-budgeted:Protocol"] = "openai",
            ["AiGuard:Policies:llm-budgeted:RequiredScopes:0"] = "inference",
            ["AiGuard:Policies:llm-budgeted:TokenBudgets:0"] = "client-tokens",
            ["AiGuard:Policies:llm-budgeted:TokenBudgets:1"] = "tenant-tokens",
            ["AiGuard:TokenBudgets:Policies:client-tokens:PerMinute"] = "1000000000000",
            ["AiGuard:TokenBudgets:Policies:tenant-tokens:PartitionBy:0"] = "Tenant",
            ["AiGuard:TokenBudgets:Policies:tenant-tokens:PerDay"] = "100000000000000",
            // The chat route again with the request-side text guards of the load benchmark's text-guards variant.
            ["ReverseProxy:Routes:guarded:ClusterId"] = "demo",
            ["ReverseProxy:Routes:guarded:Match:Path"] = "/g/{**rest}",
            ["ReverseProxy:Routes:guarded:Metadata:AiGuard.Policy"] = "llm-guarded",
            ["ReverseProxy:Routes:guarded:Transforms:0:PathRemovePrefix"] = "/g",
            ["AiGuard:Policies:llm-guarded:Protocol"] = "openai",
            ["AiGuard:Policies:llm-guarded:RequiredScopes:0"] = "inference",
            ["AiGuard:Policies:llm-guarded:Parameters:MaxTokens"] = "2048",
            ["AiGuard:Policies:llm-guarded:Parameters:MaxN"] = "4",
            ["AiGuard:Policies:llm-guarded:SensitiveData:Actions:CreditCard"] = "Redact",
            ["AiGuard:Policies:llm-guarded:SensitiveData:Actions:Email"] = "Redact",
            ["AiGuard:Policies:llm-guarded:SensitiveData:Actions:Phone"] = "Redact",
            ["AiGuard:Policies:llm-guarded:SensitiveData:Actions:UsSsn"] = "Block",
            ["AiGuard:Policies:llm-guarded:SensitiveData:Actions:Secret"] = "Redact",
            ["AiGuard:Policies:llm-guarded:PromptInjection:Action"] = Environment.GetEnvironmentVariable("AIGUARD_BENCH_INJECTION") ?? "Block",
            ["AiGuard:Policies:llm-guarded:PromptInjection:Model"] = ShippedInjectionModel(),
        };
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var configuration = new GatewayConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            new ProtocolRegistry([new OpenAiAdapter(), new OpenInferenceAdapter(), new TfServingAdapter()]),
            [new ModelAccessStage(), new RateLimitStage(new RateLimitRegistry(TimeProvider.System), new RateLimitMetrics(meters)), new ServerHeaderScrubStage(), new ProbabilityHardeningStage(),
                new AiGuard.Inspection.Input.ParameterPolicyStage(), new AiGuard.Inspection.Sensitive.SensitiveDataStage(), new AiGuard.Inspection.Injection.PromptInjectionStage(),
                new TokenBudgetStage(new InProcessTokenBudgetStore(), new PromptTokenCounter(), TimeProvider.System, new RateLimitMetrics(meters))],
            new ConfigurationMetrics(meters),
            NullLogger<GatewayConfiguration>.Instance);
        var trail = new AuditTrail([new NullSink()], new AuditOptions(), new AuditMetrics(meters), NullLogger<AuditTrail>.Instance);
        var recorder = new DecisionRecorder(trail, TimeProvider.System, new PipelineMetrics(meters));
        var pipeline = new GuardPipeline(recorder, new StageRunner(recorder, new PipelineMetrics(meters), NullLogger<StageRunner>.Instance), NullLogger<GuardPipeline>.Instance);
        _gate = new GuardMiddleware(context => pipeline.InvokeAsync(context, () => Task.CompletedTask), configuration, recorder, TimeProvider.System, new AuthenticationThrottle(TimeProvider.System), new RateLimitMetrics(meters), new JwtAuthenticator(new JwtOptions(), TimeProvider.System), NullLogger<GuardMiddleware>.Instance);
        _chat = Route(configuration.Current.ProxyRoutes.Single(r => r.RouteId == "chat"));
        _infer = Route(configuration.Current.ProxyRoutes.Single(r => r.RouteId == "infer"));
        _limited = Route(configuration.Current.ProxyRoutes.Single(r => r.RouteId == "limited"));
        _guarded = Route(configuration.Current.ProxyRoutes.Single(r => r.RouteId == "guarded"));
        _budgeted = Route(configuration.Current.ProxyRoutes.Single(r => r.RouteId == "budgeted"));

        // Every benchmark must measure a request that passes: a refusal (a route that does not
        // match its operation, say) would be timed instead and look cheap or dear for the wrong reason.
        foreach (var (endpoint, path, body) in new[]
        {
            (_chat, "/v1/chat/completions", ChatBody), (_limited, "/l/v1/chat/completions", ChatBody),
            (_budgeted, "/b/v1/chat/completions", ChatBody), (_budgeted, "/b/v1/chat/completions", LongChatBody),
            (_chat, "/v1/chat/completions", LongChatBody), (_guarded, "/g/v1/chat/completions", ChatBody),
            (_infer, "/v2/models/demo-classifier/infer", InferBody),
        })
        {
            var context = Request(endpoint, path, body);
            _gate.InvokeAsync(context).GetAwaiter().GetResult();
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"{path} answered {context.Response.StatusCode}: the benchmark would time a refusal.");
            }
        }
    }

    private static string ShippedInjectionModel()
    {
        var model = Path.Combine(AppContext.BaseDirectory, AiGuard.Inspection.Injection.PromptInjectionPolicy.ShippedModelPath);
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); !File.Exists(model) && directory is not null; directory = directory.Parent)
        {
            model = Path.Combine(directory.FullName, AiGuard.Inspection.Injection.PromptInjectionPolicy.ShippedModelPath);
        }

        return model;
    }

    [Benchmark(Baseline = true, Description = "Build the request context only")]
    public HttpContext Baseline() => Request(_chat, "/v1/chat/completions", ChatBody);

    [Benchmark(Description = "Gate + parse + stages: chat")]
    public Task Chat() => _gate.InvokeAsync(Request(_chat, "/v1/chat/completions", ChatBody));

    [Benchmark(Description = "Gate + parse + stages: chat with 2 rate limits")]
    public Task ChatWithLimits() => _gate.InvokeAsync(Request(_limited, "/l/v1/chat/completions", ChatBody));

    [Benchmark(Description = "Gate + parse + stages: chat with 2 token budgets (in process; reserve and settle)")]
    public Task ChatWithBudgets() => _gate.InvokeAsync(Request(_budgeted, "/b/v1/chat/completions", ChatBody));

    [Benchmark(Description = "Gate + parse + stages: a resent 2 KB system prompt with 2 token budgets")]
    public Task LongChatWithBudgets() => _gate.InvokeAsync(Request(_budgeted, "/b/v1/chat/completions", LongChatBody));

    [Benchmark(Description = "Gate + parse + stages: the same 2 KB system prompt without budgets")]
    public Task LongChat() => _gate.InvokeAsync(Request(_chat, "/v1/chat/completions", LongChatBody));

    [Benchmark(Description = "Gate + parse + stages: chat with the request-side text guards")]
    public Task ChatWithTextGuards() => _gate.InvokeAsync(Request(_guarded, "/g/v1/chat/completions", ChatBody));

    [Benchmark(Description = "Gate + parse + stages: v2 infer")]
    public Task Infer() => _gate.InvokeAsync(Request(_infer, "/v2/models/demo-classifier/infer", InferBody));

    private static Endpoint Route(RouteConfig config) =>
        new(null, new EndpointMetadataCollection(new RouteModel(config, cluster: null, Yarp.ReverseProxy.Forwarder.HttpTransformer.Empty)), config.RouteId);

    private DefaultHttpContext Request(Endpoint endpoint, string path, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Protocol = "HTTP/1.1";
        // One keep-alive connection carries every request, as under load.
        context.Features.Set<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>(_connection);
        context.Request.Path = path;
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Headers.Authorization = _authorization;
        // Like Kestrel, a pipe reader over bytes already received (not a stream adapter with its own buffer).
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature>(new BodyPipe(body));
        context.SetEndpoint(endpoint);
        return context;
    }

    private sealed class ConnectionItems : Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }

    private sealed class BodyPipe(byte[] body) : Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature
    {
        public System.IO.Pipelines.PipeReader Reader { get; } = System.IO.Pipelines.PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(body));
    }

    private sealed class NullSink : IAuditSink
    {
        public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
