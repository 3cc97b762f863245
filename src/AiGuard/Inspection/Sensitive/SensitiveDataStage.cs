using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Sensitive;

/// <summary>
/// Structured personal data in the prompts of OpenAI routes: per entity type allowed, redacted
/// (a typed placeholder replaces it in what is forwarded and in what later stages see) or
/// blocked (400 <c>sensitive_data</c>). Audit events and answers name the type, the field and
/// the position, and a keyed hash of the value (HMAC-SHA256 under a key made at start, so
/// one value can be followed through the trail without being in it); never the value.
/// </summary>
public sealed class SensitiveDataStage : IGuardStage
{
    private readonly byte[] _hashKey = RandomNumberGenerator.GetBytes(32);

    public string Name => StageNames.SensitiveData;

    public int Order => StageOrder.SensitiveData;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.SensitiveData is not null;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        var policy = context.Policy!.SensitiveData!;
        var request = context.Request!;
        List<InferenceInput>? rewritten = null;
        StringBuilder? account = null;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            if (request.Inputs[i] is not TextInput input || input.Text.Length == 0)
            {
                continue;
            }

            List<PiiMatch> matches;
            try
            {
                matches = policy.Detector.Find(input.Text);
            }
            catch (TextTooDenseException e)
            {
                // Refused rather than half inspected: nothing of it is forwarded.
                return new(GuardDecision.Refuse(
                    StatusCodes.Status400BadRequest,
                    ProblemCodes.SensitiveData,
                    $"'{input.Field}' holds more than {PiiDetector.MaxCandidates} possible {e.Type} values, too many to inspect; send less at once.",
                    input.Field));
            }

            if (matches.Count == 0)
            {
                continue;
            }

            foreach (var match in matches)
            {
                if (policy.ActionFor(match.Type) == SensitiveAction.Block)
                {
                    return new(GuardDecision.Refuse(
                        StatusCodes.Status400BadRequest,
                        ProblemCodes.SensitiveData,
                        string.Create(CultureInfo.InvariantCulture, $"'{input.Field}' holds a {match.Type} (characters {match.Start}-{match.End}, {Hash(input.Text, match)}), which this route does not accept; remove it and send again."),
                        input.Field));
                }
            }

            var redacted = Redact(policy, input.Text, matches, input.Field, ref account);
            if (redacted is not null)
            {
                rewritten ??= [.. request.Inputs];
                rewritten[i] = input with { Text = redacted };
                context.AddTextEdit(input.Field, redacted);
            }
        }

        if (rewritten is null)
        {
            return default;
        }

        // Later stages (the anomaly engine) see what is forwarded.
        context.Request = request.WithInputs(rewritten);
        return new(GuardDecision.Modify(ProblemCodes.SensitiveDataRedacted, account!.ToString()));
    }

    private string? Redact(SensitiveDataPolicy policy, string text, List<PiiMatch> matches, string field, ref StringBuilder? account)
    {
        StringBuilder? result = null;
        var position = 0;
        foreach (var match in matches)
        {
            if (policy.ActionFor(match.Type) != SensitiveAction.Redact)
            {
                continue;
            }

            result ??= new StringBuilder(text.Length);
            result.Append(text, position, match.Start - position).Append(SensitiveDataPolicy.Placeholder(match.Type));
            position = match.End;
            account ??= new StringBuilder();
            if (account.Length > 0)
            {
                account.Append("; ");
            }

            account.Append(CultureInfo.InvariantCulture, $"{field}: {match.Type} at {match.Start}-{match.End} ({Hash(text, match)})");
        }

        return result?.Append(text, position, text.Length - position).ToString();
    }

    /// <summary>The first 12 hex digits of HMAC-SHA256(key, value): the same value gives the same tag in this process, and the tag does not give the value.</summary>
    private string Hash(string text, PiiMatch match)
    {
        Span<byte> tag = stackalloc byte[32];
        HMACSHA256.HashData(_hashKey, Encoding.UTF8.GetBytes(text.Substring(match.Start, match.Length)), tag);
        return "hmac " + Convert.ToHexStringLower(tag[..6]);
    }
}
