namespace AiGuard.Audit;

/// <summary>Audit trail settings (section <c>AiGuard:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>Events waiting for the sinks; past this, events are dropped and counted, never blocking a request.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Write audit events to standard output.</summary>
    public bool Console { get; set; } = true;

    /// <summary><c>json</c> (one JSON object per line, the default) or <c>text</c> (one short human line per event).</summary>
    public string ConsoleFormat { get; set; } = AuditConsoleFormats.Json;

    /// <summary>Write audit events as JSON lines to this file (rolled daily); empty for none.</summary>
    public string? FilePath { get; set; }

    /// <summary>
    /// When <see cref="FilePath"/> cannot be written at start: false (the default) stops the start;
    /// true writes the events to standard output instead, logs an error and counts the fallback.
    /// </summary>
    public bool FallbackToConsole { get; set; }
}

/// <summary>The values of <see cref="AuditOptions.ConsoleFormat"/>.</summary>
public static class AuditConsoleFormats
{
    public const string Json = "json";
    public const string Text = "text";
}
