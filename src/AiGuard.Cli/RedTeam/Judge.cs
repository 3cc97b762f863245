namespace AiGuard.Cli.RedTeam;

/// <summary>The verdict rules every probe shares.</summary>
internal static class Judge
{
    /// <summary>Refusals of this client for now: a probe that meets one never reached its check.</summary>
    public static readonly IReadOnlySet<string> ThrottleCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "rate_limited", "auth_throttled", "token_budget_exhausted", "anomaly_throttled", "client_quarantined",
    };

    /// <summary>Refusals because the route or model is not there, or not for this key: the probe does not apply.</summary>
    private static readonly HashSet<string> Elsewhere = new(StringComparer.Ordinal)
    {
        "route_not_found", "operation_not_supported", "route_not_allowed", "scope_missing", "model_not_allowed",
    };

    /// <summary>
    /// The probe must be refused (4xx problem+json with a code; <paramref name="codes"/> are the
    /// expected ones). An answer of 2xx, or the model's own error, means it got through; a 5xx
    /// or no answer is an error, never "stopped".
    /// </summary>
    public static ProbeOutcome Refused(ProbeResponse response, params string[] codes)
    {
        if (Common(response, codes) is { } outcome)
        {
            return outcome;
        }

        return response.Status is >= 200 and < 300
            ? ProbeOutcome.GotThrough($"answered {response.Status}: the request was served")
            : ProbeOutcome.GotThrough($"answered {response.Describe()} without a problem code: it reached the model, which answered itself");
    }

    /// <summary>
    /// The verdict of an answer that is not a success (refused, failed, missing route, the
    /// model's own error); null for a 2xx, whose content the probe must judge.
    /// </summary>
    public static ProbeOutcome? UnlessServed(ProbeResponse response, params string[] codes) =>
        Common(response, codes) ?? (response.Status is >= 200 and < 300 ? null : Refused(response, codes));

    /// <summary>
    /// The verdicts every probe shares; null when the answer is not a refusal, a failure or a
    /// missing route, and the probe must look at what was served.
    /// </summary>
    public static ProbeOutcome? Common(ProbeResponse response, params string[] codes)
    {
        if (response.IsFailure)
        {
            return ProbeOutcome.Error(response.Describe());
        }

        if (response.Status == 404)
        {
            return ProbeOutcome.NotApplicable($"the route or model does not exist here ({response.Describe()})");
        }

        if (response.IsRefusal)
        {
            var code = response.ProblemCode!;
            if (codes.Contains(code, StringComparer.Ordinal))
            {
                return ProbeOutcome.Stopped($"refused {response.Status} {code}");
            }

            if (ThrottleCodes.Contains(code))
            {
                return ProbeOutcome.NotApplicable($"refused {response.Status} {code} before the check this probe aims at") with { Throttled = true };
            }

            return Elsewhere.Contains(code)
                ? ProbeOutcome.NotApplicable($"refused {response.Status} {code}: the route or model is not there for this key")
                : ProbeOutcome.Stopped($"refused {response.Status} {code} (expected {string.Join(" or ", codes)})");
        }

        if (response.IsProblem && response.Status is >= 400 and < 500)
        {
            return ProbeOutcome.Error($"refused {response.Status} with a problem body that has no code");
        }

        return null;
    }
}
