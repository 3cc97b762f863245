using System.Net;
using AiGuard.IntegrationTests.Otlp.Trace;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>The same signals over OTLP/gRPC (<c>AiGuard:Telemetry:OtlpProtocol=grpc</c>), received by the collector's gRPC services.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class OtlpGrpcExportTests
{
    [Fact]
    public async Task Spans_metrics_and_audit_log_records_arrive_over_grpc()
    {
        await using var telemetry = await TelemetryGateway.StartAsync(OtlpTransport.Grpc);

        var refused = await telemetry.SendAsync("/v1/chat/completions", TelemetryGateway.Chat($"mail {TelemetryGateway.Email}"), telemetry.Key);
        var served = await telemetry.SendAsync("/v1/chat/completions", TelemetryGateway.Chat("hello"), telemetry.Key);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(HttpStatusCode.OK, served.Status);
        await telemetry.Gateway.Audit.WaitForAsync(refused.Incident!);
        var collector = telemetry.Collector;
        await telemetry.FlushUntilAsync(() => collector.LogRecords.Any(l => l.Attribute("aiguard.incident_id") == refused.Incident));

        Assert.All(collector.RawExports, e => Assert.Equal("application/grpc", e.ContentType));
        Assert.Equal(["logs", "metrics", "traces"], collector.RawExports.Select(e => e.Signal).Distinct().Order());

        var record = Assert.Single(collector.LogRecords, l => l.Attribute("aiguard.incident_id") == refused.Incident);
        Assert.Equal("sensitive_data", record.Attribute("aiguard.code"));
        Assert.False(collector.RawContains(null, TelemetryGateway.Email));
        Assert.False(collector.RawContains(null, telemetry.Key.Key));

        var request = Assert.Single(collector.Spans, s => s.Attribute("aiguard.incident_id") == refused.Incident);
        Assert.Equal(Span.Types.SpanKind.Server, request.Span.Kind);
        Assert.Contains(collector.Spans, s => s.Name == "aiguard.stage.sensitive_data" && s.TraceId == request.TraceId);

        var decisions = collector.Metrics.Where(m => m.Metric.Name == "aiguard.decisions").ToList();
        Assert.NotEmpty(decisions);
        Assert.All(decisions, m => Assert.Equal(("{decision}", "counter"), (m.Metric.Unit, m.Kind)));
        Assert.Contains(collector.Metrics, m => m.Metric.Name == "gen_ai.client.token.usage" && m.Metric.Unit == "{token}");
        Assert.Contains(collector.Metrics, m => m.Metric.Name == "aiguard.stage.duration" && m.Metric.Unit == "s" && m.Kind == "histogram");
    }
}
