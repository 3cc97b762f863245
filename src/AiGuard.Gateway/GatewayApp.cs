using AiGuard.Hosting;

namespace AiGuard.Gateway;

/// <summary>Builds the gateway host: configuration, logging, the AiGuard pipeline. Composition only.</summary>
public static class GatewayApp
{
    /// <param name="args">Command-line arguments (configuration overrides such as <c>--urls</c>).</param>
    /// <param name="configure">Lets a caller (the demo, the tests) adjust the builder before it is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
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
}
