using AiGuard.Admin;
using AiGuard.Hosting;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiGuard.Cli.Admin;

/// <summary><c>aiguard config check --offline</c>: the same validation, on the file alone, with this build's stages.</summary>
internal static class OfflineConfigurationCheck
{
    public static ConfigurationCheckResult? Run(byte[] file, out string problem)
    {
        if (!ConfigurationCheck.TryParse(file, out var proposed, out problem))
        {
            return null;
        }

        var configuration = new ConfigurationRoot([proposed!]);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.None));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddAiGuard(configuration);
        using var provider = services.BuildServiceProvider();
        return ConfigurationCheck.Check(
            configuration,
            provider.GetRequiredService<ProtocolRegistry>(),
            provider.GetServices<IGuardStage>(),
            "alone (offline: no gateway's environment variables or other settings layered in)");
    }
}
