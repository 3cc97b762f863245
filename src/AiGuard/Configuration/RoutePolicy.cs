using AiGuard.Protocols;

namespace AiGuard.Configuration;

/// <summary>The resolved policy of one route: adapter, scopes, and effective limits.</summary>
public sealed record RoutePolicy(
    string RouteId,
    IProtocolAdapter Adapter,
    IReadOnlyList<string> RequiredScopes,
    string PathPrefix,
    long MaxBodyBytes,
    int MaxJsonDepth,
    int MaxJsonElements,
    IReadOnlyList<string> AllowedContentTypes);
