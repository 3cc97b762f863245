using System.Globalization;
using System.Text.Json;
using AiGuard.Anomaly;
using AiGuard.Configuration;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.Admin;

/// <summary>The gateway's services the admin API reads and changes (they belong to the gateway's own container).</summary>
public sealed class AdminServices(IServiceProvider gateway)
{
    public IServiceProvider Gateway { get; } = gateway;

    public GatewayConfiguration Configuration { get; } = gateway.GetRequiredService<GatewayConfiguration>();

    public AnomalyEngine Anomaly { get; } = gateway.GetRequiredService<AnomalyEngine>();

    public DecisionRecorder Recorder { get; } = gateway.GetRequiredService<DecisionRecorder>();

    public AdminAuthenticator Authenticator { get; } = gateway.GetRequiredService<AdminAuthenticator>();

    public TimeProvider Time { get; } = gateway.GetRequiredService<TimeProvider>();

    /// <summary>The context of an admin request, for its audit event; created by the credential filter.</summary>
    public static GuardContext? Guard(HttpContext context) => context.Features.Get<GuardContext>();

    internal GuardContext NewGuard(HttpContext context)
    {
        var guard = new GuardContext(context, Configuration.Current);
        context.Features.Set(guard);
        return guard;
    }
}

/// <summary>Maps the admin API (docs/admin-api.md) on the admin listener.</summary>
public static class AdminEndpoints
{
    public const string Prefix = "/admin/v1";

    private const int MaxClientLength = 256;
    private const int MaxReasonLength = 256;

    /// <summary>
    /// Every endpoint of the admin listener is mapped here. Probes and the OpenAPI document are
    /// open (they hold no secret); everything under <see cref="Prefix"/> needs an admin credential.
    /// Further admin-port endpoints (a metrics scrape, for one) belong in this method.
    /// </summary>
    public static IEndpointRouteBuilder MapAiGuardAdmin(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Ok(new LivenessReport("live")))
            .WithName("Liveness").WithSummary("Liveness: the gateway process answers.").WithTags("probes");
        endpoints.MapGet("/readyz", ReadyAsync)
            .WithName("Readiness").WithSummary("Readiness: configuration loaded, anomaly model loaded when a route uses it, Redis reachable when configured.")
            .WithTags("probes").Produces<ReadinessReport>(StatusCodes.Status200OK).Produces<ReadinessReport>(StatusCodes.Status503ServiceUnavailable);
        endpoints.MapOpenApi("/openapi/{documentName}.json");

        var admin = endpoints.MapGroup(Prefix).AddEndpointFilter(RequireAdminAsync).WithTags("admin")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        admin.MapGet("/clients/{client}", ClientStatusAsync)
            .WithName("GetClientStatus").WithSummary("A client's limits left, anomaly score and reasons, and quarantine.")
            .Produces<ClientStatusReport>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapGet("/quarantine", ListQuarantine)
            .WithName("ListQuarantine").WithSummary("The quarantines in force.").Produces<QuarantineListing>();
        admin.MapPut("/quarantine/{client}", AddQuarantineAsync)
            .WithName("AddQuarantine").WithSummary("Quarantines a client on every route of every replica until the duration runs out (audited).")
            .Accepts<QuarantineRequest>("application/json")
            .Produces<QuarantineChange>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/quarantine/{client}", RemoveQuarantineAsync)
            .WithName("RemoveQuarantine").WithSummary("Lifts a client's quarantine on every replica (audited).")
            .Produces<QuarantineChange>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapGet("/config", EffectiveConfig)
            .WithName("GetEffectiveConfiguration").WithSummary("The configuration in force, every secret masked.").Produces<JsonElement>();
        admin.MapPost("/config/check", CheckConfigAsync)
            .WithName("CheckConfiguration").WithSummary("Validates a proposed appsettings file exactly as a reload would, without applying it.")
            .Accepts<JsonElement>("application/json")
            .Produces<ConfigurationCheckReport>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        endpoints.MapFallback(NotFoundAsync).ExcludeFromDescription();
        return endpoints;
    }

    private static async ValueTask<object?> RequireAdminAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var services = http.RequestServices.GetRequiredService<AdminServices>();
        var guard = services.NewGuard(http);
        var decision = services.Authenticator.Authenticate(guard);
        if (!decision.IsContinue)
        {
            return new Refusal(services, decision, guard.Client is null ? StageNames.Authenticate : StageNames.Authorize);
        }

        return await next(invocation);
    }

    private static Task NotFoundAsync(HttpContext http)
    {
        var services = http.RequestServices.GetRequiredService<AdminServices>();
        var guard = services.NewGuard(http);
        return services.Recorder.RefuseAsync(guard, StageNames.Admin, GuardDecision.Refuse(
            StatusCodes.Status404NotFound, ProblemCodes.RouteNotFound, $"No admin endpoint answers {Excerpt.Of(http.Request.Method, 16)} on this path; see /openapi/v1.json.")).AsTask();
    }

    private static async Task<IResult> ReadyAsync(AdminServices services, CancellationToken cancellation)
    {
        var checks = new List<ReadinessCheck>();
        var snapshot = services.Configuration.Current;
        checks.Add(new ReadinessCheck("configuration", true, $"version {snapshot.Version.ToString(CultureInfo.InvariantCulture)}: {snapshot.Routes.Count} routes, {snapshot.Keys.Count} API keys"));

        var watched = snapshot.Routes.Values.Any(r => r.Anomaly is not null);
        if (watched)
        {
            var model = services.Gateway.GetRequiredService<AnomalyModelHost>();
            bool loaded;
            string detail;
            try
            {
                loaded = model.Scorer is not null;
                detail = loaded ? $"model {model.Scorer!.Sha256[..Math.Min(12, model.Scorer.Sha256.Length)]} loaded" : "no anomaly model is loaded, but a route names an anomaly policy";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                loaded = false;
                detail = "the anomaly model cannot be loaded: " + Excerpt.Of(e.Message, 200);
            }

            checks.Add(new ReadinessCheck("anomaly_model", loaded, detail));
        }

        if (services.Gateway.GetRequiredService<RedisConnectionHolder>().Store is { } redis)
        {
            bool reachable;
            string detail;
            try
            {
                var took = await redis.Database.PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellation);
                reachable = true;
                detail = $"PING answered in {took.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)} ms";
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                reachable = false;
                // The exception names the endpoint, never the password; keep it short all the same.
                detail = "Redis is not reachable (" + e.GetType().Name + ")";
            }

            checks.Add(new ReadinessCheck("redis", reachable, detail, Required: snapshot.Options.Admin.RedisInReadiness));
        }

        var ready = checks.All(c => c.Ok || !c.Required);
        return Results.Json(new ReadinessReport(ready ? "ready" : "not_ready", checks), statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> ClientStatusAsync(string client, AdminServices services)
    {
        if (CheckClient(ref client) is { } bad)
        {
            return new Refusal(services, bad);
        }

        var snapshot = services.Configuration.Current;
        var engine = services.Anomaly;
        var keys = snapshot.Options.ApiKeys.Keys.Where(k => ClientOf(k) == client).ToList();
        var tracked = engine.Clients.Find(client);
        var quarantined = engine.Quarantine.TryGet(client, out var until, out var reason);
        if (keys.Count == 0 && tracked is null && !quarantined)
        {
            return new Refusal(services, NotFound(client));
        }

        var now = services.Time.GetUtcNow();
        AnomalyStatus? anomaly = null;
        if (tracked is not null)
        {
            var level = tracked.Level;
            var action = level < 0 ? "none" : snapshot.Routes.Values.Select(r => r.Anomaly).FirstOrDefault(p => p is not null && p.Actions.Length > level)?.Actions[level].Action.ToString().ToLowerInvariant() ?? $"level {level}";
            anomaly = new AnomalyStatus(Math.Round(tracked.Score, 4), Math.Round(tracked.LastScore, 4), tracked.Behaviour.Requests, action, tracked.Reasons);
        }

        var tenant = keys.Select(k => k.Tenant).FirstOrDefault();
        var limits = keys.Count > 0 ? await LimitsAsync(services, snapshot, client, tenant ?? "default", now) : [];
        return Results.Ok(new ClientStatusReport(
            client,
            [.. keys.Select(k => k.Id)],
            tenant,
            quarantined ? Entry(client, until, reason, now) : null,
            anomaly,
            limits));
    }

    /// <summary>What is left of every limit and token budget of the routes the client's key may use, read without counting a request.</summary>
    private static async Task<List<LimitStatus>> LimitsAsync(AdminServices services, GatewaySnapshot snapshot, string client, string tenant, DateTimeOffset now)
    {
        var registry = services.Gateway.GetRequiredService<RateLimitRegistry>();
        var budgets = services.Gateway.GetRequiredService<ITokenBudgetStore>();
        var shared = services.Gateway.GetRequiredService<RedisConnectionHolder>().Store is not null;
        var result = new List<LimitStatus>();
        var seen = new HashSet<(string, string, LimitKey)>();
        foreach (var route in snapshot.Routes.Values.OrderBy(r => r.RouteId, StringComparer.Ordinal))
        {
            foreach (var limit in registry.For(snapshot, route))
            {
                var by = limit.Definition.PartitionBy;
                if (by.HasFlag(PartitionFlags.Model))
                {
                    continue; // one counter per model: nothing single to show
                }

                var key = new LimitKey(by.HasFlag(PartitionFlags.Client) ? client : null, by.HasFlag(PartitionFlags.Tenant) ? tenant : null, by.HasFlag(PartitionFlags.Route) ? route.RouteId : null, null);
                if (seen.Add(("rate", limit.Name, key)))
                {
                    var window = limit.Definition.Kind switch
                    {
                        RateLimitKind.Concurrency => "concurrent",
                        RateLimitKind.TokenBucket => AdminDuration.Format(limit.Definition.ReplenishmentPeriod),
                        _ => AdminDuration.Format(limit.Definition.Window),
                    };
                    result.Add(new LimitStatus("rate_limit", limit.Name, key.Route, window, limit.Definition.PermitLimit, limit.IsShared ? null : limit.Available(key), limit.IsShared));
                }
            }

            var options = snapshot.Options.TokenBudgets.Policies;
            foreach (var name in route.TokenBudgets)
            {
                var budget = TokenBudget.From(name, options[name]);
                if (budget.PartitionBy.HasFlag(PartitionFlags.Model))
                {
                    continue;
                }

                var key = new LimitKey(budget.PartitionBy.HasFlag(PartitionFlags.Client) ? client : null, budget.PartitionBy.HasFlag(PartitionFlags.Tenant) ? tenant : null, budget.PartitionBy.HasFlag(PartitionFlags.Route) ? route.RouteId : null, null);
                if (!seen.Add(("budget", name, key)))
                {
                    continue;
                }

                // A reservation of no tokens reads both windows and changes nothing.
                long? minute = null, day = null;
                try
                {
                    var read = await budgets.TryReserveAllAsync([new TokenRequest(budget, key, 0)], now);
                    minute = read.Reservations?[0].RemainingMinute;
                    day = read.Reservations?[0].RemainingDay;
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
                {
                    // Redis is down: shown as unknown.
                }

                if (budget.PerMinute > 0)
                {
                    result.Add(new LimitStatus("token_budget", name, key.Route, "minute", budget.PerMinute, minute, shared));
                }

                if (budget.PerDay > 0)
                {
                    result.Add(new LimitStatus("token_budget", name, key.Route, "day", budget.PerDay, day, shared));
                }
            }
        }

        return result;
    }

    private static IResult ListQuarantine(AdminServices services)
    {
        var now = services.Time.GetUtcNow();
        return Results.Ok(new QuarantineListing(
            [.. services.Anomaly.Quarantine.List().Select(e => Entry(e.Client, e.Until, e.Reason, now))],
            services.Anomaly.Replication is not null));
    }

    private static async Task<IResult> AddQuarantineAsync(string client, HttpContext http, AdminServices services)
    {
        if (CheckClient(ref client) is { } bad)
        {
            return new Refusal(services, bad);
        }

        QuarantineRequest? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<QuarantineRequest>(http.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson,
                "Send a JSON object such as {\"for\": \"15m\", \"reason\": \"...\"} with Content-Type: application/json."));
        }

        if (!AdminDuration.TryParse(body?.For, out var duration, out var problem))
        {
            return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidDuration, problem, "for"));
        }

        var reason = body!.Reason?.Trim() ?? string.Empty;
        if (reason.Length > MaxReasonLength || reason.Any(char.IsControl))
        {
            return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, $"The reason must be one line of at most {MaxReasonLength} characters.", "reason"));
        }

        var snapshot = services.Configuration.Current;
        if (!IsKnown(services, snapshot, client))
        {
            return new Refusal(services, NotFound(client));
        }

        var until = services.Time.GetUtcNow() + duration;
        var guard = AdminServices.Guard(http)!;
        var who = guard.Client!.ClientId;
        var stored = reason.Length > 0 ? $"operator {who}: {reason}" : $"operator {who}";
        var (inForce, inForceReason) = services.Anomaly.Quarantine.Add(client, until, stored);
        var kept = inForce > until;
        var at = inForce.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
        services.Recorder.RecordChange(guard, StageNames.Admin, GuardDecision.Modify(ProblemCodes.QuarantineAdded, kept
            ? $"Client '{client}' stays quarantined until {at}: the quarantine in force outlasts the {AdminDuration.Format(duration)} asked by {who}" + (reason.Length > 0 ? $" ({reason})." : ".")
            : $"Client '{client}' quarantined for {AdminDuration.Format(duration)} until {at} by {who}" + (reason.Length > 0 ? $": {reason}" : ".")));
        http.Response.Headers[ProblemWriter.IncidentHeader] = guard.IncidentId;
        return Results.Ok(new QuarantineChange(client, kept ? "kept" : "added", inForce, inForceReason, guard.IncidentId));
    }

    private static IResult RemoveQuarantineAsync(string client, HttpContext http, AdminServices services)
    {
        if (CheckClient(ref client) is { } bad)
        {
            return new Refusal(services, bad);
        }

        if (!services.Anomaly.Quarantine.TryGet(client, out _, out _))
        {
            return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status404NotFound, ProblemCodes.ClientNotQuarantined, $"Client '{client}' is not quarantined."));
        }

        services.Anomaly.Quarantine.Remove(client);
        var guard = AdminServices.Guard(http)!;
        services.Recorder.RecordChange(guard, StageNames.Admin, GuardDecision.Modify(ProblemCodes.QuarantineRemoved,
            $"Quarantine of client '{client}' lifted by {guard.Client!.ClientId}."));
        http.Response.Headers[ProblemWriter.IncidentHeader] = guard.IncidentId;
        return Results.Ok(new QuarantineChange(client, "removed", null, null, guard.IncidentId));
    }

    private static IResult EffectiveConfig(AdminServices services) =>
        Results.Json(EffectiveConfiguration.Render(services.Gateway.GetRequiredService<IConfiguration>()));

    private static async Task<IResult> CheckConfigAsync(HttpContext http, AdminServices services)
    {
        using var buffer = new MemoryStream();
        var read = new byte[16 * 1024];
        int n;
        while ((n = await http.Request.Body.ReadAsync(read, http.RequestAborted)) > 0)
        {
            if (buffer.Length + n > ConfigurationCheck.MaxFileBytes)
            {
                return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BodyTooLarge, $"A settings file may be at most {ConfigurationCheck.MaxFileBytes / (1024 * 1024)} MiB."));
            }

            buffer.Write(read, 0, n);
        }

        if (!ConfigurationCheck.TryParse(buffer.ToArray(), out var proposed, out var problem))
        {
            return new Refusal(services, GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, problem));
        }

        var configuration = ConfigurationCheck.Compose(services.Gateway.GetRequiredService<IConfiguration>(), proposed!, out var placement);
        var result = ConfigurationCheck.Check(
            configuration,
            services.Gateway.GetRequiredService<ProtocolRegistry>(),
            services.Gateway.GetServices<IGuardStage>(),
            placement);
        return Results.Ok(new ConfigurationCheckReport(result.Valid, result.Errors, result.Warnings, result.Placement));
    }

    private static QuarantineEntry Entry(string client, DateTimeOffset until, string reason, DateTimeOffset now) =>
        new(client, until, Math.Max(0, (long)Math.Ceiling((until - now).TotalSeconds)), reason);

    private static string ClientOf(Identity.ApiKeyEntry key) => string.IsNullOrWhiteSpace(key.ClientId) ? key.Id : key.ClientId;

    /// <summary>A client the gateway could ever see: a configured key's client, one the anomaly engine tracks or holds, or an address.</summary>
    private static bool IsKnown(AdminServices services, GatewaySnapshot snapshot, string client) =>
        snapshot.Options.ApiKeys.Keys.Any(k => ClientOf(k) == client)
        || services.Anomaly.Clients.Find(client) is not null
        || services.Anomaly.Quarantine.TryGet(client, out _, out _)
        || (client.StartsWith("address:", StringComparison.Ordinal) && System.Net.IPAddress.TryParse(client.AsSpan(8), out _));

    private static GuardDecision NotFound(string client) => GuardDecision.Refuse(
        StatusCodes.Status404NotFound, ProblemCodes.ClientNotFound,
        $"No configured key, tracked client or quarantine has client id '{client}' (an unauthenticated client is 'address:<ip>').");

    /// <summary>
    /// Completes the decoding of a client id from the path and checks it. Routing has decoded
    /// every escape but <c>%2F</c> already; decoding again would turn a client's own <c>%41</c>
    /// into <c>A</c> and name another client. An address id is written the way the gateway
    /// writes it (<c>address:10.0.0.7</c>, not <c>address:010.000.000.007</c>).
    /// </summary>
    private static GuardDecision? CheckClient(ref string client)
    {
        client = client.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (client.StartsWith("address:", StringComparison.Ordinal) && System.Net.IPAddress.TryParse(client.AsSpan(8), out var address))
        {
            client = "address:" + address;
        }

        if (client.Length == 0 || client.Length > MaxClientLength || client.Any(char.IsControl))
        {
            return GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPath, $"A client id is 1 to {MaxClientLength} characters without control characters.", "client");
        }

        return null;
    }

    /// <summary>A refusal of the admin API: problem+json, one audit event, the incident id in the answer.</summary>
    private sealed class Refusal(AdminServices services, GuardDecision decision, string stage = StageNames.Admin) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var guard = AdminServices.Guard(httpContext) ?? services.NewGuard(httpContext);
            return services.Recorder.RefuseAsync(guard, stage, decision).AsTask();
        }
    }
}
