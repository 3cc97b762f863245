using System.Diagnostics;

namespace AiGuard.Telemetry;

/// <summary>The names AiGuard's traces and metrics are published under.</summary>
public static class GuardTelemetry
{
    /// <summary>The ActivitySource of AiGuard's spans (one per stage decision).</summary>
    public const string ActivitySourceName = "AiGuard";

    /// <summary>Every AiGuard meter name starts with this, so <c>AddMeter("AiGuard.*")</c> takes them all.</summary>
    public const string MeterPrefix = "AiGuard.";

    public static ActivitySource Source { get; } = new(ActivitySourceName);

    /// <summary>Starts the span of one stage when someone listens; null (and free) otherwise.</summary>
    public static Activity? StartStage(string stage)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity("aiguard.stage." + stage, ActivityKind.Internal);
        activity?.SetTag("aiguard.stage", stage);
        return activity;
    }
}
