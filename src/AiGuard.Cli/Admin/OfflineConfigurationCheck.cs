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

        // The services the check needs (protocols, stages) are built without the connections made at
        // start (Redis, telemetry exporters): the check validates those settings itself, and a bad
        // value there must be reported, not thrown while building.
        var forServices = new ConfigurationBuilder().AddInMemoryCollection(configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && !IsStartOnly(kv.Key))).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.None));
        services.AddSingleton<IConfiguration>(forServices);
        services.AddAiGuard(forServices);
        using var provider = services.BuildServiceProvider();
        return ConfigurationCheck.Check(
            configuration,
            provider.GetRequiredService<ProtocolRegistry>(),
            provider.GetServices<IGuardStage>(),
            "alone (offline: no gateway's environment variables or other settings layered in)",
            hideUnpinnedHashes: false);
    }

    private static bool IsStartOnly(string key) =>
        key.StartsWith("AiGuard:Redis:", StringComparison.OrdinalIgnoreCase) || key.StartsWith("AiGuard:Telemetry:", StringComparison.OrdinalIgnoreCase);
}
