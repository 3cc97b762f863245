using AiGuard.Hosting;
using Microsoft.Extensions.Configuration.Json;

namespace AiGuard.Gateway;

/// <summary>Builds the gateway host: configuration, logging, the AiGuard pipeline. Composition only.</summary>
public static class GatewayApp
{
    /// <summary>The environment variable (or <c>--config</c> argument) naming an extra settings file.</summary>
    public const string ConfigFileVariable = "AIGUARD_CONFIG";

    /// <summary>
    /// The environment whose settings file (appsettings.Demo.json) holds the demo's routes,
    /// policies and anomaly engine; any other environment starts with no route until you add yours.
    /// </summary>
    public const string DemoEnvironment = "Demo";

    /// <param name="args">Command-line arguments (configuration overrides such as <c>--urls</c> or <c>--config</c>).</param>
    /// <param name="configure">Lets a caller (the demo, the tests) adjust the builder before it is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        AddConfigFile(builder);
        configure?.Invoke(builder);

        builder.Logging.AddAiGuardSerilog(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.AddAiGuard(builder.Configuration);

        var app = builder.Build();
        app.UseAiGuard();
        return app;
    }

    /// <summary>
    /// An operator's own settings file (a mounted ConfigMap, for example), read after
    /// appsettings*.json and before environment variables and arguments, and reloaded on change.
    /// </summary>
    private static void AddConfigFile(WebApplicationBuilder builder)
    {
        var path = builder.Configuration["config"] ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        var full = Path.GetFullPath(path);
        var sources = builder.Configuration.Sources;
        var afterJson = sources.Select((source, index) => (source, index)).LastOrDefault(s => s.source is JsonConfigurationSource).index + 1;
        var file = new AiGuard.Configuration.OperatorSettingsFile { Path = Path.GetFileName(full), Optional = false, ReloadOnChange = true };
        file.FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!);
        file.ResolveFileProvider();
        sources.Insert(afterJson, file);
    }
}
