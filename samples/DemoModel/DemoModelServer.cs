using DemoModel.Classifier;
using DemoModel.Diagnostics;
using DemoModel.Faults;
using DemoModel.OpenAi;
using DemoModel.OpenInference;
using DemoModel.Security;

namespace DemoModel;

/// <summary>Builds the demo model server; used by <c>Program.cs</c> and by tests that host it in-process.</summary>
public static class DemoModelServer
{
    /// <summary>
    /// Builds (but does not start) the server. <paramref name="args"/> are command-line style
    /// (<c>--urls http://127.0.0.1:0</c>, <c>--DemoModel:EnableFaults=true</c>); <paramref name="configure"/>
    /// runs after configuration binding, so code wins over arguments.
    /// </summary>
    public static WebApplication Build(string[] args, Action<DemoModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(DemoModelServer).Assembly.GetName().Name,
        });

        if (!HasConfiguredAddress(builder.Configuration))
        {
            builder.WebHost.UseUrls(DemoModelOptions.DefaultUrl);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter(typeof(DemoModelServer).Namespace, LogLevel.Information);
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);

        var options = new DemoModelOptions();
        builder.Configuration.GetSection(DemoModelOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        options.Validate();
        builder.Services.AddSingleton(options);

        // Trained here, before the server listens, so /v2/health/ready is true from the first request.
        builder.Services.AddSingleton(DemoClassifier.Train());

        var app = builder.Build();
        UseMiddleware(app, options);
        MapEndpoints(app, options);
        LogStartup(app, options);
        return app;
    }

    private static void UseMiddleware(WebApplication app, DemoModelOptions options)
    {
        if (options.RequiredApiKey is not null)
        {
            app.UseMiddleware<RequiredApiKeyMiddleware>();
        }

        if (options.EnableFaults)
        {
            app.UseMiddleware<FaultInjectionMiddleware>();
        }
    }

    private static void MapEndpoints(WebApplication app, DemoModelOptions options)
    {
        ModelsEndpoint.Map(app);
        ChatCompletionsEndpoint.Map(app);
        V1ModelRoutes.Map(app);
        HealthEndpoints.Map(app);
        ModelMetadataEndpoint.Map(app);
        InferEndpoint.Map(app);
        if (options.EnableDebugEndpoints)
        {
            HeaderEchoEndpoint.Map(app);
        }
    }

    private static void LogStartup(WebApplication app, DemoModelOptions options)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoModelServer));
        var classifier = app.Services.GetRequiredService<DemoClassifier>();
        app.Lifetime.ApplicationStarted.Register(() => logger.LogInformation(
            "DemoModel listening on {Addresses} (classifier accuracy {Accuracy:P1} on {Rows} rows, trained in {TrainingMs:F0} ms; faults {Faults}, debug endpoints {Debug}, api key {ApiKey})",
            string.Join(", ", app.Urls),
            classifier.TrainingAccuracy,
            classifier.TrainingRows,
            classifier.TrainingTime.TotalMilliseconds,
            options.EnableFaults ? "on" : "off",
            options.EnableDebugEndpoints ? "on" : "off",
            options.RequiredApiKey is null ? "not required" : "required"));
    }

    private static bool HasConfiguredAddress(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["urls"])
        || !string.IsNullOrEmpty(configuration["http_ports"])
        || !string.IsNullOrEmpty(configuration["https_ports"]);
}
