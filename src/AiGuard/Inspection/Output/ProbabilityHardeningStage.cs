using System.Runtime.CompilerServices;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;

namespace AiGuard.Inspection.Output;

/// <summary>
/// Hardens the probability vectors of tensor models (Open Inference v2, TF-Serving): rounding,
/// top-k or label only, by the route's policy or for one client when an earlier stage asks.
/// </summary>
/// <remarks>
/// Full-precision probabilities are what model-extraction and model-inversion attacks learn
/// from, and what score-based black-box attacks follow; a coarser answer costs legitimate
/// clients little. Shapes are kept (dropped values become 0, a label becomes a one-hot row), so
/// clients that parse the answer keep working.
/// </remarks>
public sealed class ProbabilityHardeningStage : IGuardStage
{
    private static readonly ConditionalWeakTable<OutputHardening, string> Details = [];

    public string Name => "output_hardening";

    public int Order => StageOrder.OutputHardening;

    public StagePhases Phases => StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) =>
        route.Protocol is ProtocolNames.OpenInferenceV2 or ProtocolNames.TfServing && (route.Hardening is not null || route.HardeningOnDemand);

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        var perClient = context.Hardening is { IsActive: true };
        var hardening = perClient ? context.Hardening! : context.Policy!.Hardening;
        if (hardening is null || response.Outputs.Count == 0)
        {
            return default;
        }

        var changed = false;
        foreach (var output in response.Outputs)
        {
            if (Selected(output, hardening) && Apply(output.Values, output.RowWidth, hardening))
            {
                output.MarkModified();
                changed = true;
            }
        }

        if (!changed)
        {
            return default;
        }

        return perClient
            ? GuardDecision.Modify(ProblemCodes.OutputHardened, Detail(hardening))
            : GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, Detail(hardening));
    }

    /// <summary>The reason a hardened answer records: the same for every answer of one hardening, so built once per instance.</summary>
    private static string Detail(OutputHardening hardening) =>
        Details.GetValue(hardening, static h => $"Outputs hardened ({h.Describe()}).");

    /// <summary>Hardens row-major values in place; true when a value changed.</summary>
    public static bool Apply(double[] values, int rowWidth, OutputHardening hardening)
    {
        var changed = false;
        var width = Math.Max(rowWidth, 1);
        for (var start = 0; start + width <= values.Length; start += width)
        {
            var row = values.AsSpan(start, width);
            if (hardening.LabelOnly && width > 1)
            {
                changed |= OneHot(row);
                continue;
            }

            if (hardening.TopK is { } k && k < width)
            {
                changed |= KeepTop(row, k);
            }

            if (hardening.Decimals is { } decimals)
            {
                foreach (ref var value in row)
                {
                    var rounded = Math.Round(value, decimals, MidpointRounding.ToEven);
                    if (rounded != value)
                    {
                        value = rounded;
                        changed = true;
                    }
                }
            }
        }

        return changed;
    }

    private static bool Selected(OutputTensor output, OutputHardening hardening) =>
        hardening.Outputs.Count == 0 ? output.IsFloatingPoint : hardening.Outputs.Contains(output.Name);

    private static bool OneHot(Span<double> row)
    {
        var best = ArgMax(row);
        var changed = false;
        for (var i = 0; i < row.Length; i++)
        {
            var value = i == best ? 1.0 : 0.0;
            changed |= row[i] != value;
            row[i] = value;
        }

        return changed;
    }

    private static bool KeepTop(Span<double> row, int k)
    {
        // The k-th largest value; ties at the threshold are kept in index order until k are kept.
        Span<double> sorted = row.Length <= 256 ? stackalloc double[row.Length] : new double[row.Length];
        row.CopyTo(sorted);
        sorted.Sort();
        var threshold = sorted[^k];
        var aboveThreshold = 0;
        foreach (var value in row)
        {
            if (value > threshold)
            {
                aboveThreshold++;
            }
        }

        var tiesToKeep = k - aboveThreshold;
        var changed = false;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] > threshold)
            {
                continue;
            }

            if (row[i] == threshold && tiesToKeep > 0)
            {
                tiesToKeep--;
                continue;
            }

            changed |= row[i] != 0;
            row[i] = 0;
        }

        return changed;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }
}
