using System.Diagnostics.Metrics;
using AiGuard.Audit;
using AiGuard.Authorization;
using AiGuard.Configuration;
using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using AiGuard.Protocols.TfServing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.Tests;

/// <summary>Real configuration snapshots and request contexts for unit tests, built through the production code.</summary>
internal static class TestGateway
{
    public static IMeterFactory Meters { get; } = NewMeters();

    /// <summary>A meter factory of its own, so a test's metric collector sees only that test's instruments.</summary>
    public static IMeterFactory NewMeters() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public static ProtocolRegistry Protocols { get; } = new([new OpenAiAdapter(), new OpenInferenceAdapter(), new TfServingAdapter()]);

    public static IGuardStage[] BuiltInStages => [new ModelAccessStage(), new ServerHeaderScrubStage(), new ProbabilityHardeningStage()];

    /// <summary>One route <c>chat</c> (policy <c>p</c>, the given protocol) to cluster <c>llm</c>.</summary>
    public static Dictionary<string, string?> Settings(string protocol = ProtocolNames.OpenAi) => new()
    {
        ["ReverseProxy:Routes:chat:ClusterId"] = "llm",
        ["ReverseProxy:Routes:chat:Match:Path"] = "/{**rest}",
        ["ReverseProxy:Routes:chat:Metadata:AiGuard.Policy"] = "p",
        ["ReverseProxy:Clusters:llm:Destinations:d1:Address"] = "http://127.0.0.1:9/",
        ["AiGuard:Policies:p:Protocol"] = protocol,
        ["AiGuard:Policies:p:RequiredScopes:0"] = "inference",
        ["AiGuard:Audit:Console"] = "false",
    };

    public static GatewayConfiguration Configuration(IDictionary<string, string?> settings, params IGuardStage[] extraStages) =>
        Configuration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), extraStages);

    public static GatewayConfiguration Configuration(IConfiguration configuration, params IGuardStage[] extraStages) =>
        new(configuration, Protocols, [.. BuiltInStages, .. extraStages], new ConfigurationMetrics(Meters), NullLogger<GatewayConfiguration>.Instance);

    public static GatewaySnapshot Snapshot(string protocol = ProtocolNames.OpenAi) => Configuration(Settings(protocol)).Current;

    /// <summary>A request context on route <c>chat</c> under <paramref name="snapshot"/>, with a response body to read back.</summary>
    public static GuardContext Context(GatewaySnapshot snapshot, string method = "POST", string path = "/v1/chat/completions")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        var guard = new GuardContext(http, snapshot) { Policy = snapshot.Routes["chat"] };
        http.Features.Set(guard);
        return guard;
    }

    public static (DecisionRecorder Recorder, AuditTrail Trail, RecordingSink Sink) Recorder(int capacity = 100, TimeProvider? time = null, IMeterFactory? meters = null)
    {
        var sink = new RecordingSink();
        var metrics = new AuditMetrics(meters ?? Meters);
        var trail = new AuditTrail([sink], new AuditOptions { QueueCapacity = capacity }, metrics, NullLogger<AuditTrail>.Instance);
        return (new DecisionRecorder(trail, time ?? TimeProvider.System, new PipelineMetrics(meters ?? Meters)), trail, sink);
    }
}

/// <summary>An audit sink that keeps what it is given.</summary>
internal sealed class RecordingSink : IAuditSink
{
    public List<AuditEvent> Events { get; } = [];

    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        lock (Events)
        {
            Events.Add(auditEvent);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
