using System.Collections.Concurrent;
using AiGuard.IntegrationTests.Otlp.Collector.Logs;
using AiGuard.IntegrationTests.Otlp.Collector.Metrics;
using AiGuard.IntegrationTests.Otlp.Collector.Trace;
using AiGuard.IntegrationTests.Otlp.Common;
using AiGuard.IntegrationTests.Otlp.Logs;
using AiGuard.IntegrationTests.Otlp.Metrics;
using AiGuard.IntegrationTests.Otlp.Trace;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtlpResource = AiGuard.IntegrationTests.Otlp.Resource.Resource;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>How the receiver listens: OTLP/HTTP with protobuf bodies, or OTLP/gRPC.</summary>
public enum OtlpTransport
{
    HttpProtobuf,
    Grpc,
}

/// <summary>
/// A real OTLP receiver on loopback, as a collector would run it: OTLP/HTTP protobuf at
/// <c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>, or the three OTLP/gRPC collector services.
/// Every export is decoded with the project's own opentelemetry-proto messages (Otlp/*.proto) and
/// kept, with its raw bytes for searching what must never leave the gateway.
/// </summary>
/// <remarks>
/// The decoded views (<see cref="Spans"/>, <see cref="Metrics"/>, <see cref="LogRecords"/>,
/// <see cref="CapturedMetricNames"/>) are what other tests check against (a dashboard's queries,
/// the metric table of docs/telemetry.md).
/// </remarks>
public sealed class OtlpCapture : IAsyncDisposable
{
    private readonly ConcurrentQueue<ExportTraceServiceRequest> _traces = new();
    private readonly ConcurrentQueue<ExportMetricsServiceRequest> _metrics = new();
    private readonly ConcurrentQueue<ExportLogsServiceRequest> _logs = new();
    private readonly ConcurrentQueue<(string Signal, string? ContentType, byte[] Body)> _raw = new();
    private WebApplication? _app;

    public OtlpCapture(OtlpTransport transport = OtlpTransport.HttpProtobuf)
    {
        Transport = transport;
    }

    public OtlpTransport Transport { get; }

    /// <summary>The endpoint to give the exporter (<c>AiGuard:Telemetry:OtlpEndpoint</c>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The protocol setting matching <see cref="Transport"/> (<c>AiGuard:Telemetry:OtlpProtocol</c>).</summary>
    public string ProtocolSetting => Transport == OtlpTransport.Grpc ? "grpc" : "http/protobuf";

    /// <summary>Every export request received: signal (<c>traces</c>, <c>metrics</c>, <c>logs</c>), content type, bytes as sent.</summary>
    public IReadOnlyCollection<(string Signal, string? ContentType, byte[] Body)> RawExports => _raw;

    /// <summary>Every span received, with the resource and scope it came under.</summary>
    public IReadOnlyList<CapturedSpan> Spans =>
        [.. _traces.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s => new CapturedSpan(s, rs.Resource, ss.Scope))))];

    /// <summary>Every metric received (one entry per metric per export), with its scope (the meter).</summary>
    public IReadOnlyList<CapturedMetric> Metrics =>
        [.. _metrics.SelectMany(r => r.ResourceMetrics).SelectMany(rm => rm.ScopeMetrics.SelectMany(sm => sm.Metrics.Select(m => new CapturedMetric(m, rm.Resource, sm.Scope))))];

    /// <summary>The distinct names of every metric that arrived.</summary>
    public IReadOnlySet<string> CapturedMetricNames => Metrics.Select(m => m.Metric.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every log record received, with its scope (the logger category).</summary>
    public IReadOnlyList<CapturedLog> LogRecords =>
        [.. _logs.SelectMany(r => r.ResourceLogs).SelectMany(rl => rl.ScopeLogs.SelectMany(sl => sl.LogRecords.Select(l => new CapturedLog(l, rl.Resource, sl.Scope))))];

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen =>
            // OTLP/gRPC over cleartext is HTTP/2 with prior knowledge; OTLP/HTTP is HTTP/1.1.
            listen.Protocols = Transport == OtlpTransport.Grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        if (Transport == OtlpTransport.Grpc)
        {
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(this);
        }

        _app = builder.Build();
        if (Transport == OtlpTransport.Grpc)
        {
            _app.MapGrpcService<TraceReceiver>();
            _app.MapGrpcService<MetricsReceiver>();
            _app.MapGrpcService<LogsReceiver>();
        }
        else
        {
            _app.MapPost("/v1/traces", context => ReceiveAsync(context, "traces", ExportTraceServiceRequest.Parser, _traces, new ExportTraceServiceResponse()));
            _app.MapPost("/v1/metrics", context => ReceiveAsync(context, "metrics", ExportMetricsServiceRequest.Parser, _metrics, new ExportMetricsServiceResponse()));
            _app.MapPost("/v1/logs", context => ReceiveAsync(context, "logs", ExportLogsServiceRequest.Parser, _logs, new ExportLogsServiceResponse()));
        }

        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    /// <summary>Whether any export of <paramref name="signal"/> (or of any signal when null) holds <paramref name="text"/> as UTF-8 bytes.</summary>
    public bool RawContains(string? signal, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return _raw.Any(e => (signal is null || e.Signal == signal) && e.Body.AsSpan().IndexOf(needle) >= 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task ReceiveAsync<T>(HttpContext context, string signal, MessageParser<T> parser, ConcurrentQueue<T> queue, IMessage response)
        where T : IMessage<T>
    {
        if (context.Request.ContentType != "application/x-protobuf")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var bytes = body.ToArray();
        T decoded;
        try
        {
            decoded = parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        _raw.Enqueue((signal, context.Request.ContentType, bytes));
        queue.Enqueue(decoded);
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(response.ToByteArray());
    }

    private void Received<T>(string signal, T request, ConcurrentQueue<T> queue)
        where T : IMessage<T>
    {
        _raw.Enqueue((signal, "application/grpc", request.ToByteArray()));
        queue.Enqueue(request);
    }

    private sealed class TraceReceiver(OtlpCapture capture) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            capture.Received("traces", request, capture._traces);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    private sealed class MetricsReceiver(OtlpCapture capture) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            capture.Received("metrics", request, capture._metrics);
            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }

    private sealed class LogsReceiver(OtlpCapture capture) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            capture.Received("logs", request, capture._logs);
            return Task.FromResult(new ExportLogsServiceResponse());
        }
    }
}

/// <summary>A span as it arrived.</summary>
public sealed record CapturedSpan(Span Span, OtlpResource Resource, InstrumentationScope Scope)
{
    public string Name => Span.Name;

    public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);

    public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);

    public string ParentSpanId => Convert.ToHexStringLower(Span.ParentSpanId.Span);

    public string? Attribute(string key) => OtlpValues.AttributeValue(Span.Attributes, key);
}

/// <summary>A metric as it arrived, with its kind and every data point's attributes.</summary>
public sealed record CapturedMetric(Metric Metric, OtlpResource Resource, InstrumentationScope Scope)
{
    /// <summary><c>counter</c>, <c>updowncounter</c>, <c>gauge</c>, <c>histogram</c>, <c>exponential_histogram</c> or <c>summary</c>.</summary>
    public string Kind => Metric.DataCase switch
    {
        Metric.DataOneofCase.Sum => Metric.Sum.IsMonotonic ? "counter" : "updowncounter",
        Metric.DataOneofCase.Gauge => "gauge",
        Metric.DataOneofCase.Histogram => "histogram",
        Metric.DataOneofCase.ExponentialHistogram => "exponential_histogram",
        Metric.DataOneofCase.Summary => "summary",
        _ => "none",
    };

    /// <summary>The attribute lists of every data point of this metric.</summary>
    public IEnumerable<IReadOnlyList<KeyValue>> PointAttributes => Metric.DataCase switch
    {
        Metric.DataOneofCase.Sum => Metric.Sum.DataPoints.Select(p => (IReadOnlyList<KeyValue>)p.Attributes),
        Metric.DataOneofCase.Gauge => Metric.Gauge.DataPoints.Select(p => (IReadOnlyList<KeyValue>)p.Attributes),
        Metric.DataOneofCase.Histogram => Metric.Histogram.DataPoints.Select(p => (IReadOnlyList<KeyValue>)p.Attributes),
        Metric.DataOneofCase.ExponentialHistogram => Metric.ExponentialHistogram.DataPoints.Select(p => (IReadOnlyList<KeyValue>)p.Attributes),
        Metric.DataOneofCase.Summary => Metric.Summary.DataPoints.Select(p => (IReadOnlyList<KeyValue>)p.Attributes),
        _ => [],
    };
}

/// <summary>A log record as it arrived.</summary>
public sealed record CapturedLog(LogRecord Record, OtlpResource Resource, InstrumentationScope Scope)
{
    public string? Attribute(string key) => OtlpValues.AttributeValue(Record.Attributes, key);
}

/// <summary>Reading OTLP attribute lists.</summary>
public static class OtlpValues
{
    /// <summary>The attribute's value as text (strings as they are, numbers and booleans invariant), or null when absent.</summary>
    public static string? AttributeValue(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value is { } value ? Text(value) : null;

    public static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        _ => value.ToString(),
    };
}
