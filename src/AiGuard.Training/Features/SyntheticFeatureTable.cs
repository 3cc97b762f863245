using AiGuard.Anomaly;
using F = AiGuard.Anomaly.AnomalyFeatures;

namespace AiGuard.Training.Features;

/// <summary>
/// A seeded demo table in the gateway's feature schema (<see cref="AnomalyFeatures"/>), labelled:
/// benign tensor and text clients, and attacking ones (tensor extraction or boundary probing:
/// fast, regular, near-duplicate, collinear steps, low-margin answers; text extraction: logprobs,
/// logit_bias probes, one-token answers, small edits). Each attacker shows each of its telltale
/// features only with some probability, so the classes overlap a little. Only for demos, tests
/// and benchmarks: real tables come from the simulators, through the gateway's own feature code.
/// </summary>
public static class SyntheticFeatureTable
{
    private enum Range
    {
        Free,
        NonNegative,
        Share,
    }

    private sealed record Feature(int Index, Range Range, (double Mean, double Sd) Benign, (double Mean, double Sd) Attack);

    private static readonly Feature[] Shared =
    [
        new(F.Queries, Range.NonNegative, (1.8, 0.6), (3.0, 0.6)),
        new(F.GapLog, Range.Free, (1.0, 0.6), (-0.8, 0.5)),
        new(F.GapSpread, Range.NonNegative, (0.5, 0.2), (0.2, 0.1)),
    ];

    private static readonly Feature[] Tensor =
    [
        new(F.ExactRepeat, Range.Share, (0.05, 0.05), (0.05, 0.05)),
        new(F.NearDuplicate, Range.Share, (0.05, 0.05), (0.6, 0.2)),
        new(F.NearestLog, Range.Free, (-0.3, 0.2), (-2.0, 0.5)),
        new(F.NearestSpread, Range.NonNegative, (0.3, 0.1), (0.6, 0.2)),
        new(F.NearestIsPrevious, Range.Share, (0.1, 0.1), (0.8, 0.15)),
        new(F.StepLog, Range.Free, (-0.1, 0.2), (-2.0, 0.7)),
        new(F.StepSpread, Range.NonNegative, (0.3, 0.1), (0.5, 0.2)),
        new(F.ChangedShare, Range.Share, (0.95, 0.05), (0.3, 0.3)),
        new(F.StepPeakedness, Range.Share, (0.05, 0.05), (0.5, 0.3)),
        new(F.UniformStep, Range.Share, (0.01, 0.02), (0.3, 0.2)),
        new(F.Collinear, Range.Share, (0.01, 0.02), (0.4, 0.2)),
        new(F.Antithetic, Range.Share, (0.01, 0.02), (0.2, 0.15)),
        new(F.Atypical, Range.Free, (0.0, 0.15), (0.5, 0.4)),
        new(F.BatchLog, Range.NonNegative, (0.3, 0.4), (0.5, 0.5)),
        new(F.LowMargin, Range.Share, (0.05, 0.03), (0.4, 0.15)),
        new(F.NearLabelFlip, Range.Share, (0.02, 0.03), (0.3, 0.15)),
        new(F.ClassCoverage, Range.Share, (0.5, 0.2), (0.85, 0.1)),
    ];

    private static readonly Feature[] Text =
    [
        new(F.TextRepeat, Range.Share, (0.05, 0.05), (0.1, 0.1)),
        new(F.TextNear, Range.Share, (0.05, 0.05), (0.5, 0.2)),
        new(F.Extension, Range.Share, (0.6, 0.2), (0.1, 0.1)),
        new(F.SmallEdit, Range.Share, (0.05, 0.05), (0.6, 0.2)),
        new(F.EditLog, Range.NonNegative, (2.5, 0.5), (1.0, 0.4)),
        new(F.LogprobShare, Range.Share, (0.05, 0.1), (0.8, 0.2)),
        new(F.TopLogprobs, Range.Share, (0.02, 0.05), (0.5, 0.3)),
        new(F.LogitBiasShare, Range.Share, (0.02, 0.05), (0.5, 0.3)),
        new(F.BiasNovelty, Range.Share, (0.02, 0.05), (0.6, 0.2)),
        new(F.BiasKeysLog, Range.NonNegative, (0.05, 0.1), (1.0, 0.4)),
        new(F.MaxTokensLog, Range.NonNegative, (2.7, 0.3), (0.5, 0.3)),
        new(F.SingleToken, Range.Share, (0.02, 0.05), (0.7, 0.2)),
        new(F.PromptLog, Range.NonNegative, (2.5, 0.5), (2.0, 0.5)),
    ];

    /// <summary>
    /// <paramref name="rows"/> clients, half tensor and half text, of which about
    /// <paramref name="attackFraction"/> attack (label 1); columns are <see cref="AnomalyFeatures.Names"/>.
    /// </summary>
    /// <param name="telltale">Probability that an attacker shows each of its telltale features (else it looks benign there).</param>
    public static FeatureTable Generate(int rows, int seed, double attackFraction = 0.1, double telltale = 0.6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if (attackFraction is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(attackFraction), attackFraction, "must be in [0, 1]");
        }

        if (telltale is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(telltale), telltale, "must be in [0, 1]");
        }

        var random = new Random(seed);
        var values = new float[rows * F.Count];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var attack = random.NextDouble() < attackFraction;
            var text = random.NextDouble() < 0.5;
            var row = values.AsSpan(r * F.Count, F.Count);
            row[F.IsText] = text ? 1 : 0;
            foreach (var feature in Shared.Concat(text ? Text : Tensor))
            {
                var (mean, sd) = attack && random.NextDouble() < telltale ? feature.Attack : feature.Benign;
                var v = mean + (sd * Normal(random));
                row[feature.Index] = (float)(feature.Range switch
                {
                    Range.Share => Math.Clamp(v, 0, 1),
                    Range.NonNegative => Math.Max(v, 0),
                    _ => v,
                });
            }

            labels[r] = attack ? 1 : 0;
        }

        return new FeatureTable(F.Names, values, labels);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
