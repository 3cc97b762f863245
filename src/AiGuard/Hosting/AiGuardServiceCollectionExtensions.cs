using AiGuard.Anomaly;
using AiGuard.Audit;
using AiGuard.Authorization;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Inspection.Output;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using AiGuard.Protocols.TfServing;
using AiGuard.Proxy;
using AiGuard.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace AiGuard.Hosting;

/// <summary>Registers AiGuard's configuration, stages, audit trail, telemetry and the YARP proxy.</summary>
public static class AiGuardServiceCollectionExtensions
{
    public static IServiceCollection AddAiGuard(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddRouting();

        // Protocols: one adapter per wire format.
        services.AddSingleton<IProtocolAdapter, OpenAiAdapter>();
        services.AddSingleton<IProtocolAdapter, OpenInferenceAdapter>();
        services.AddSingleton<IProtocolAdapter, TfServingAdapter>();
        services.AddSingleton<ProtocolRegistry>();

        // Configuration: one validated snapshot of keys, policies and YARP routes, swapped as a whole.
        services.AddSingleton<ConfigurationMetrics>();
        services.AddSingleton<GatewayConfiguration>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<GatewayConfiguration>());
        services.AddSingleton<IConfigChangeListener>(sp => sp.GetRequiredService<GatewayConfiguration>());

        // The anomaly model, when one is configured: loaded and pinned at start.
        services.AddSingleton<AnomalyModelHost>();
        services.AddSingleton<AnomalyMetrics>();
        services.AddSingleton<AnomalyEngine>();
        services.AddGuardStage<QuarantineStage>();
        services.AddGuardStage<AnomalyStage>();
        services.AddGuardStage<AnomalyAnswerStage>();

        // Guard stages, in the order of StageOrder.
        services.AddGuardStage<ModelAccessStage>();
        // Bearer tokens (JwtBearer) beside API keys, configured at start from AiGuard:Jwt.
        JwtAuthenticator.AddTo(services, configuration);
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<RateLimitRegistry>();
        services.AddSingleton<AuthenticationThrottle>();
        services.AddGuardStage<RateLimitStage>();
        services.AddSingleton<PromptTokenCounter>();
        services.AddSingleton(sp => new RedisConnectionHolder(RedisStore.Create(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILogger<RedisStore>>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>())));
        services.TryAddSingleton<ITokenBudgetStore>(sp => sp.GetRequiredService<RedisConnectionHolder>().Store is { } redis
            ? new RedisTokenBudgetStore(redis, sp.GetService<TimeProvider>())
            : new InProcessTokenBudgetStore());
        services.AddGuardStage<TokenBudgetStage>();
        services.AddGuardStage<Inspection.Input.ParameterPolicyStage>();
        services.AddGuardStage<Inspection.Sensitive.SensitiveDataStage>();
        services.AddGuardStage<PromptLeakStage>();
        services.AddGuardStage<Inspection.Injection.PromptInjectionStage>();
        services.AddGuardStage<ServerHeaderScrubStage>();
        services.AddGuardStage<ProbabilityHardeningStage>();

        // Audit trail: settings are read once, at start.
        services.AddSingleton<AuditMetrics>();
        services.AddSingleton(sp => sp.GetRequiredService<GatewayConfiguration>().Current.Options.Audit);
        services.AddSingleton<IAuditSink>(CreateAuditSink);
        services.AddSingleton<AuditTrail>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());

        // The decision path.
        services.AddSingleton<PipelineMetrics>();
        services.AddSingleton<GenAiMetrics>();
        services.AddSingleton<DecisionRecorder>();
        services.AddSingleton<StageRunner>();
        services.AddSingleton<GuardPipeline>();

        // The admin API on its own listener (docs/admin-api.md).
        services.AddSingleton<Admin.AdminAuthenticator>();
        services.AddSingleton<Admin.AdminListener>();
        services.AddHostedService(sp => sp.GetRequiredService<Admin.AdminListener>());

        services.AddReverseProxy().AddTransforms<GatewayTransformProvider>();
        services.AddAiGuardTelemetry(configuration);
        return services;
    }

    /// <summary>Adds a guard stage; it runs where its <see cref="IGuardStage.Order"/> puts it, on the routes it applies to.</summary>
    public static IServiceCollection AddGuardStage<TStage>(this IServiceCollection services)
        where TStage : class, IGuardStage
    {
        services.AddSingleton<IGuardStage, TStage>();
        return services;
    }

    private static SerilogAuditSink CreateAuditSink(IServiceProvider services)
    {
        var options = services.GetRequiredService<AuditOptions>();
        if (AuditDestinations.CheckFile(options, out var problem))
        {
            return new SerilogAuditSink(options);
        }

        // FallbackToConsole is set: say so loudly and count it, then write to standard output.
        services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuditTrail)).LogError(
            "{Problem}; audit events go to standard output instead (AiGuard:Audit:FallbackToConsole).", problem);
        services.GetRequiredService<AuditMetrics>().FellBack();
        return new SerilogAuditSink(options, fileUsable: false);
    }
}
