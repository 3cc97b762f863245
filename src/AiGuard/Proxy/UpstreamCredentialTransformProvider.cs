using AiGuard.Configuration;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AiGuard.Proxy;

/// <summary>Strips the client's credentials from every forwarded request and adds the cluster's own.</summary>
public sealed class UpstreamCredentialTransformProvider : ITransformProvider
{
    private readonly IOptionsMonitor<AiGuardOptions> _options;

    public UpstreamCredentialTransformProvider(IOptionsMonitor<AiGuardOptions> options)
    {
        _options = options;
    }

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var clusterId = context.Cluster?.ClusterId ?? context.Route.ClusterId;
        context.AddRequestTransform(transform =>
        {
            var options = _options.CurrentValue;
            var headers = transform.ProxyRequest.Headers;
            // The client's key authenticates it to AiGuard only; it must never reach the model server.
            headers.Remove("Authorization");
            headers.Remove("Proxy-Authorization");
            headers.Remove(options.ApiKeys.HeaderName);
            if (!string.Equals(options.ApiKeys.HeaderName, "x-api-key", StringComparison.OrdinalIgnoreCase))
            {
                headers.Remove("x-api-key");
            }

            if (clusterId is not null && options.Upstreams.TryGetValue(clusterId, out var upstream))
            {
                foreach (var (name, value) in upstream.Headers)
                {
                    headers.Remove(name);
                    headers.TryAddWithoutValidation(name, value);
                }

                var credential = ResolveCredential(upstream);
                if (!string.IsNullOrEmpty(credential))
                {
                    headers.Remove(upstream.CredentialHeader);
                    headers.TryAddWithoutValidation(upstream.CredentialHeader, upstream.CredentialPrefix + credential);
                }
            }

            return ValueTask.CompletedTask;
        });
    }

    private static string? ResolveCredential(UpstreamOptions upstream) =>
        upstream.CredentialEnvironmentVariable is { Length: > 0 } variable
            ? Environment.GetEnvironmentVariable(variable)
            : upstream.Credential;
}
