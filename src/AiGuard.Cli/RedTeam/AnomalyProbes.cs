using System.Globalization;
using System.Text;
using System.Text.Json;
using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// A short model-extraction run (Copycat-style, on the Open Inference v2 route) and a black-box
/// evasion run (HopSkipJump, on the TF-Serving route), driven by the anomaly simulators of
/// AiGuard.Training against the demo classifier's input (4 features, 3 classes). A guarded
/// gateway must act where the client can see it before the run ends: answers hardened, 429
/// <c>anomaly_throttled</c> or 403 <c>client_quarantined</c>. A silent flag cannot be seen from
/// outside and is reported as got through (the audit trail shows it).
/// </summary>
internal static class AnomalyProbes
{
    public const string Category = "anomaly";

    /// <summary>The route's own rounding (the demo hardens every answer to 4 decimals) is not the engine's.</summary>
    private const double Tolerance = 0.006;

    /// <summary>The engine scores no client before its 8th request, so earlier answers show whether the model is the demo classifier.</summary>
    private const int Unscored = 8;

    public static IEnumerable<Probe> All()
    {
        yield return Run("extraction-copycat", "copycat", tf: false);
        yield return Run("evasion-hopskipjump", "hopskipjump", tf: true);
    }

    private static Probe Run(string name, string family, bool tf) =>
        new(Category, name, "the client hardened, throttled (429 anomaly_throttled) or quarantined (403 client_quarantined) within the run", async (client, cancellationToken) =>
        {
            var victim = new HttpVictim(client, tf, cancellationToken);
            var simulator = TensorClients.Create(family);
            var queries = client.Settings.AnomalyQueries;
            await Task.Run(
                () =>
                {
                    try
                    {
                        foreach (var _ in simulator.Run(victim, new Random(client.Settings.Seed), queries))
                        {
                            if (victim.Outcome is not null)
                            {
                                break;
                            }
                        }
                    }
                    catch (BudgetSpentException) when (victim.Requests > 0)
                    {
                        victim.Spent();
                    }
                },
                cancellationToken);
            return victim.Outcome
                ?? ProbeOutcome.GotThrough($"{victim.Requests} requests answered in full: no hardening, throttling or quarantine (a silent flag would only show in the audit trail)");
        });

    /// <summary>
    /// The demo classifier as the simulator sees it through the gateway: natural samples from the
    /// in-process copy, answers from real requests; each answer is compared with the in-process
    /// model's to tell a hardened answer from a plain one.
    /// </summary>
    private sealed class HttpVictim(RedTeamClient client, bool tf, CancellationToken cancellationToken) : IVictimModel
    {
        private readonly IVictimModel _local = TensorVictims.Get("demo-classifier");
        private int _hardenedInARow;
        private int _plainAndTelling;
        private int _failures;

        public int Requests { get; private set; }

        public ProbeOutcome? Outcome { get; private set; }

        public string Name => _local.Name;

        public int InputSize => _local.InputSize;

        public int ClassCount => _local.ClassCount;

        public float MinValue => _local.MinValue;

        public float MaxValue => _local.MaxValue;

        public (int Height, int Width)? ImageShape => _local.ImageShape;

        public int SampleNatural(Random random, Span<float> destination) => _local.SampleNatural(random, destination);

        public void SampleOutOfDomain(Random random, Span<float> destination) => _local.SampleOutOfDomain(random, destination);

        public void Spent() => Outcome ??= ProbeOutcome.NotApplicable($"stopped after {Requests} requests: the request or time budget was reached first");

        public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
        {
            var count = rows.Length / InputSize;
            var expected = new float[count * ClassCount];
            _local.Predict(rows, expected);
            // The attack goes on with the gateway's answer when there is one, else with the in-process model's.
            expected.CopyTo(probabilities);
            if (Outcome is not null)
            {
                return;
            }

            var response = client.SendAsync(Request(rows, count), cancellationToken).GetAwaiter().GetResult();
            Requests++;
            if (Judge(response, expected, count) is { } answered)
            {
                answered.CopyTo(probabilities);
            }
        }

        private HttpRequestMessage Request(ReadOnlySpan<float> rows, int count)
        {
            var values = rows.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
            string json;
            if (tf)
            {
                var instances = Enumerable.Range(0, count).Select(r => "[" + string.Join(',', values.Skip(r * InputSize).Take(InputSize)) + "]");
                json = "{\"instances\":[" + string.Join(',', instances) + "]}";
            }
            else
            {
                json = $$"""{"inputs":[{"name":"features","shape":[{{count}},{{InputSize}}],"datatype":"FP32","data":[{{string.Join(',', values)}}]}]}""";
            }

            return client.PostJson(tf ? client.Settings.TfPath : client.Settings.OipPath, json);
        }

        /// <summary>Judges one answer and returns its probabilities when it had them.</summary>
        private float[]? Judge(ProbeResponse response, float[] expected, int count)
        {
            if (response.IsFailure)
            {
                if (++_failures >= 3)
                {
                    Outcome = ProbeOutcome.Error($"{_failures} requests failed, the last with {response.Describe()}");
                }

                return null;
            }

            if (response.IsRefusal && response.ProblemCode is "anomaly_throttled" or "client_quarantined")
            {
                Outcome = ProbeOutcome.Stopped($"{(response.ProblemCode == "client_quarantined" ? "quarantined" : "throttled")} at request {Requests} ({response.Describe()}){(Requests == 1 ? " (already at the first request: the client was acted on before this run, for example after earlier probes)" : "")}");
                return null;
            }

            if (response.Status is < 200 or >= 300)
            {
                Outcome = RedTeam.Judge.Common(response) is { } common && (common.Verdict == Verdict.Error || common.Throttled)
                    ? common
                    : ProbeOutcome.NotApplicable($"the route does not take the demo classifier's 4-feature rows here ({response.Describe()} at request {Requests})");
                return null;
            }

            if (Probabilities(response.Body, count) is not { } answered)
            {
                Outcome = ProbeOutcome.NotApplicable($"answer {Requests} holds no {count}x{ClassCount} probabilities: the model is not the demo classifier");
                return null;
            }

            switch (Compare(answered, expected))
            {
                case Answer.Plain:
                    _hardenedInARow = 0;
                    _plainAndTelling += Telling(expected) ? 1 : 0;
                    break;
                case Answer.Hardened:
                    if (++_hardenedInARow >= 2)
                    {
                        Outcome = ProbeOutcome.Stopped($"answers hardened (precision removed, label kept) from request {Requests - 1}{Already()}");
                    }

                    break;
                case Answer.Foreign when Requests <= Unscored:
                    Outcome = ProbeOutcome.NotApplicable("the answers are not the demo classifier's: hardening cannot be told apart from another model");
                    break;
                default:
                    _hardenedInARow = 0;
                    break;
            }

            return answered;
        }

        // No answer that hardening would have changed came back plain: the client was acted on before this run began.
        private string Already() => _plainAndTelling == 0 ? " (already from the first answers that could show it: the client was acted on before this run, for example after earlier probes)" : "";

        /// <summary>Whether hardening (rounding to fewer decimals, or top-1) would visibly change this answer.</summary>
        private bool Telling(float[] expected)
        {
            for (var row = 0; row < expected.Length / ClassCount; row++)
            {
                var values = expected.AsSpan(row * ClassCount, ClassCount).ToArray();
                Array.Sort(values);
                if (values[^2] > Tolerance)
                {
                    return true;
                }
            }

            return false;
        }

        private enum Answer
        {
            Plain,
            Hardened,
            Foreign,
        }

        private Answer Compare(float[] answered, float[] expected)
        {
            var result = Answer.Plain;
            for (var row = 0; row < expected.Length / ClassCount; row++)
            {
                var a = answered.AsSpan(row * ClassCount, ClassCount);
                var e = expected.AsSpan(row * ClassCount, ClassCount);
                var differs = false;
                for (var i = 0; i < ClassCount; i++)
                {
                    differs |= Math.Abs(a[i] - e[i]) > Tolerance;
                }

                if (!differs)
                {
                    continue;
                }

                if (IndexOfMax(a) != IndexOfMax(e))
                {
                    return Answer.Foreign;
                }

                result = Answer.Hardened;
            }

            return result;
        }

        private static int IndexOfMax(ReadOnlySpan<float> values)
        {
            var best = 0;
            for (var i = 1; i < values.Length; i++)
            {
                best = values[i] > values[best] ? i : best;
            }

            return best;
        }

        /// <summary>The answer's probabilities, row-major: Open Inference v2 <c>outputs[0].data</c> or TF-Serving <c>predictions</c>.</summary>
        private float[]? Probabilities(string body, int count)
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                var values = new List<float>();
                if (tf)
                {
                    foreach (var row in json.RootElement.GetProperty("predictions").EnumerateArray())
                    {
                        values.AddRange(row.EnumerateArray().Select(v => v.GetSingle()));
                    }
                }
                else
                {
                    values.AddRange(json.RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()));
                }

                return values.Count == count * ClassCount ? [.. values] : null;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
            {
                return null;
            }
        }
    }
}
