using System.Text.Json;
using AiGuard.Audit;

namespace AiGuard.Tests.Audit;

/// <summary>Audit events on standard output: JSON lines by default, one short line in text format, and the fallback for an unusable file.</summary>
[Collection(ConsoleCapture.Collection)]
public class AuditConsoleTests
{
    private static readonly AuditEvent Refusal = new()
    {
        IncidentId = "inc_3",
        Timestamp = DateTimeOffset.UnixEpoch,
        Decision = "refuse",
        Stage = "authenticate",
        Code = "revoked_api_key",
        Status = 401,
        ClientId = "alice",
        Method = "POST",
        Path = "/v1/chat/completions",
    };

    private static Task<string> WriteToConsole(AuditOptions options, bool fileUsable = true) =>
        ConsoleCapture.RunAsync(async () =>
        {
            using var sink = new SerilogAuditSink(options, fileUsable);
            await sink.WriteAsync(Refusal, CancellationToken.None);
        });

    [Fact]
    public async Task By_default_each_event_is_one_json_line_on_standard_output()
    {
        var output = await WriteToConsole(new AuditOptions());

        using var json = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("inc_3", json.RootElement.GetProperty("Properties").GetProperty("IncidentId").GetString());
        Assert.Equal(
            "Security decision \"refuse\" at \"authenticate\": \"revoked_api_key\" (status 401) for client \"alice\" on route null, incident \"inc_3\"",
            json.RootElement.GetProperty("RenderedMessage").GetString());
    }

    [Fact]
    public async Task The_text_format_is_one_short_human_line()
    {
        var output = await WriteToConsole(new AuditOptions { ConsoleFormat = AuditConsoleFormats.Text });

        Assert.Contains("AiGuard refuse 401 revoked_api_key at authenticate: POST /v1/chat/completions client=alice incident=inc_3", output, StringComparison.Ordinal);
        Assert.DoesNotContain("{", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_console_nothing_is_written_to_standard_output()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"aiguard-audit-{Guid.NewGuid():N}");
        try
        {
            var output = await WriteToConsole(new AuditOptions { Console = false, FilePath = Path.Combine(directory, "audit.log") });

            Assert.Equal(string.Empty, output);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task When_the_file_cannot_be_written_events_fall_back_to_standard_output()
    {
        var output = await WriteToConsole(new AuditOptions { Console = false, FilePath = "/proc/audit.log" }, fileUsable: false);

        using var json = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("inc_3", json.RootElement.GetProperty("Properties").GetProperty("IncidentId").GetString());
    }
}

/// <summary>Runs code with standard output captured; tests that use it never run in parallel with each other.</summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public const string Collection = "Standard output";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<string> RunAsync(Func<Task> action)
    {
        await Gate.WaitAsync();
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            await action();
        }
        finally
        {
            Console.SetOut(original);
            Gate.Release();
        }

        return captured.ToString();
    }
}
