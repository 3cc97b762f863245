using AiGuard.Configuration;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AiGuard.Proxy;

/// <summary>Strips the client's credentials from every forwarded request and adds the cluster's own.</summary>
public sealed class UpstreamCredentialTransformProvider : ITransformProvider
{
    private Snapshot _snapshot;

    public UpstreamCredentialTransformProvider(IOptionsMonitor<AiGuardOptions> options)
    {
        _snapshot = Snapshot.Build(options.CurrentValue);
        // Credentials are resolved once per configuration (not per request), and again on reload.
        options.OnChange(o => _snapshot = Snapshot.Build(o));
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
            var snapshot = _snapshot;
            var headers = transform.ProxyRequest.Headers;
            // The client's key authenticates it to AiGuard only; it must never reach the model server.
            foreach (var name in snapshot.ClientCredentialHeaders)
            {
                headers.Remove(name);
            }

            if (clusterId is not null && snapshot.Upstreams.TryGetValue(clusterId, out var upstream))
            {
                foreach (var (name, value) in upstream)
                {
                    headers.Remove(name);
                    headers.TryAddWithoutValidation(name, value);
                }
            }

            return ValueTask.CompletedTask;
        });
    }

    private sealed record Snapshot(string[] ClientCredentialHeaders, Dictionary<string, KeyValuePair<string, string>[]> Upstreams)
    {
        public static Snapshot Build(AiGuardOptions options)
        {
            var clientHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
            {
                "Authorization", "Proxy-Authorization", "x-api-key", options.ApiKeys.HeaderName,
            };
            var upstreams = new Dictionary<string, KeyValuePair<string, string>[]>(StringComparer.Ordinal);
            foreach (var (clusterId, upstream) in options.Upstreams)
            {
                var headers = new List<KeyValuePair<string, string>>(upstream.Headers);
                var credential = upstream.CredentialEnvironmentVariable is { Length: > 0 } variable
                    ? Environment.GetEnvironmentVariable(variable)
                    : upstream.Credential;
                if (!string.IsNullOrEmpty(credential))
                {
                    headers.Add(new(upstream.CredentialHeader, upstream.CredentialPrefix + credential));
                }

                upstreams[clusterId] = [.. headers];
            }

            return new Snapshot([.. clientHeaders], upstreams);
        }
    }
}
