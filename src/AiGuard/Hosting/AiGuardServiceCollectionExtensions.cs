using AiGuard.Audit;
using AiGuard.Authorization;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Inspection.Input;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using AiGuard.Protocols.TfServing;
using AiGuard.Proxy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiGuard.Hosting;

/// <summary>Registers AiGuard's pipeline stages, options and the YARP proxy.</summary>
public static class AiGuardServiceCollectionExtensions
{
    public static IServiceCollection AddAiGuard(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        var section = configuration.GetSection(AiGuardOptions.SectionName);
        services.AddOptions<AiGuardOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AiGuardOptions>, AiGuardOptionsValidator>();
        services.AddOptions<ApiKeyOptions>().Bind(section.GetSection("ApiKeys"));
        services.AddOptions<AuditOptions>().Bind(section.GetSection("Audit"));

        // Protocols: one adapter per wire format.
        services.AddSingleton<IProtocolAdapter, OpenAiAdapter>();
        services.AddSingleton<IProtocolAdapter, OpenInferenceAdapter>();
        services.AddSingleton<IProtocolAdapter, TfServingAdapter>();
        services.AddSingleton<ProtocolRegistry>();
        services.AddSingleton<RoutePolicyProvider>();

        // Identity and authorization.
        services.AddSingleton<ApiKeyValidator>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization(options =>
        {
            var policy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new RouteAccessRequirement())
                .Build();
            options.DefaultPolicy = policy;
            // Routes that name no policy get this one: nothing is reachable without a key.
            options.FallbackPolicy = policy;
        });
        services.AddSingleton<IAuthorizationHandler, RouteAccessHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, GuardAuthorizationResultHandler>();

        // Audit trail.
        services.AddSingleton<AuditMetrics>();
        services.AddSingleton<IAuditSink>(sp => new SerilogAuditSink(sp.GetRequiredService<IOptions<AuditOptions>>().Value));
        services.AddSingleton<AuditTrail>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());
        services.AddSingleton<RefusalWriter>();

        // Stages of the proxy pipeline, in order.
        services.AddSingleton<ForwardErrorStage>();
        services.AddSingleton<ParseStage>();
        services.AddSingleton<ModelAccessStage>();
        services.AddSingleton<InputGuardStage>();

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<AffinityPolicyFilter>()
            .AddTransforms<UpstreamCredentialTransformProvider>();

        return services;
    }
}
