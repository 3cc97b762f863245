using System.Text.Json;
using AiGuard.Audit;
using Serilog;
using Serilog.Formatting.Json;

namespace AiGuard.Tests.Audit;

public class SerilogAuditSinkTests
{
    [Fact]
    public async Task Audit_event_is_one_json_line_with_all_decision_fields()
    {
        var output = new StringWriter();
        using (var sink = new SerilogAuditSink(new LoggerConfiguration().WriteTo.Sink(new Serilog.Sinks.TextWriterSinkShim(output, new JsonFormatter()))))
        {
            await sink.WriteAsync(
                new AuditEvent
                {
                    IncidentId = "inc_1",
                    Timestamp = DateTimeOffset.UnixEpoch,
                    Decision = "refuse",
                    Stage = "authenticate",
                    Code = "revoked_api_key",
                    Status = 401,
                    ClientId = "alice",
                    KeyId = "key1",
                    RouteId = "openai-chat",
                    Method = "POST",
                    Path = "/v1/chat/completions",
                },
                CancellationToken.None);
        }

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var properties = json.RootElement.GetProperty("Properties");
        Assert.Equal("Warning", json.RootElement.GetProperty("Level").GetString());
        Assert.Equal(DateTimeOffset.UnixEpoch, json.RootElement.GetProperty("Timestamp").GetDateTimeOffset());
        Assert.Equal("aiguard.audit", properties.GetProperty("EventType").GetString());
        Assert.Equal("inc_1", properties.GetProperty("IncidentId").GetString());
        Assert.Equal("revoked_api_key", properties.GetProperty("Code").GetString());
        Assert.Equal("alice", properties.GetProperty("ClientId").GetString());
        Assert.Equal("key1", properties.GetProperty("KeyId").GetString());
        Assert.Equal("openai-chat", properties.GetProperty("RouteId").GetString());
        Assert.Equal("authenticate", properties.GetProperty("Stage").GetString());
        Assert.Equal(401, properties.GetProperty("Status").GetInt32());
    }
}
