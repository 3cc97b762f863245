using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;

namespace AiGuard.Hosting;

/// <summary>Routes Microsoft.Extensions.Logging through Serilog, configured from the <c>Serilog</c> section.</summary>
public static class AiGuardLogging
{
    /// <remarks>
    /// Serilog is added as a logging provider (not as the logger factory) so that the filters
    /// below stay in force. The ASP.NET Core hosting category is off: with it on, every request
    /// pays for a logging scope and an Activity even when nothing is written. Audit events have
    /// their own trail; operational logs keep everything else.
    /// </remarks>
    /// <summary>ASP.NET Core's per-request hosting log category, off for every provider.</summary>
    public const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static ILoggingBuilder AddAiGuardSerilog(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(configuration)
            .CreateLogger();
        logging.ClearProviders();
        logging.AddSerilog(logger, dispose: true);
        logging.AddFilter(HostingDiagnostics, LogLevel.None);
        return logging;
    }
}
