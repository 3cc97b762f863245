using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;

namespace AiGuard.Hosting;

/// <summary>Routes Microsoft.Extensions.Logging through Serilog configured from the <c>Serilog</c> section.</summary>
public static class AiGuardLogging
{
    public static ILoggingBuilder AddAiGuardSerilog(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(configuration)
            .CreateLogger();
        logging.ClearProviders();
        logging.AddSerilog(logger, dispose: true);
        return logging;
    }
}
