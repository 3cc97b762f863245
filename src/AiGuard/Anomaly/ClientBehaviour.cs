using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using AiGuard.Protocols;

namespace AiGuard.Anomaly;

/// <summary>
/// What the anomaly engine remembers about one client: a bounded window of compact query
/// fingerprints and running statistics, from which it computes the feature vector
/// (<see cref="AnomalyFeatures"/>). The gateway and the trainer both feed it, so a model sees in
/// training exactly what the gateway computes.
/// </summary>
/// <remarks>
/// Memory is bounded: at most <see cref="MaxBytes"/> per client whatever it sends (the window
/// holds <see cref="Window"/> fingerprints of <see cref="SketchSize"/> half-precision values,
/// the previous row keeps at most <see cref="DetailSize"/> coordinates, a prompt at most
/// <see cref="PromptChars"/> characters). Not thread-safe: the caller serializes access to one
/// client's state. Running statistics are exponentially weighted (1/32), plain means until
/// there are 32 samples.
/// </remarks>
public sealed class ClientBehaviour
{
    public const int Window = 32;
    public const int SketchSize = 16;
    public const int DetailSize = 256;
    public const int MaxRowsPerRequest = 4;
    public const int PromptChars = 512;

    /// <summary>The documented upper bound of one client's state, arrays and fields included.</summary>
    public const int MaxBytes = 4096;

    private const float Alpha = 1f / 32;
    private const double NearRelative = 0.05;
    private const double FlipRelative = 0.1;
    private const double Floor = 1e-4;
    private const int CoverageBuckets = 32;
    private const int NearSimHashBits = 6;
    private const int SmallEditChars = 32;
    private const byte Unknown = byte.MaxValue;

    private long _requests;
    private double _lastSeconds = double.NaN;

    private Stat _gap;
    private Stat _exact;
    private Stat _near;
    private Stat _nearest;
    private Stat _nearestPrevious;
    private Stat _step;
    private Stat _changed;
    private Stat _peaked;
    private Stat _uniform;
    private Stat _collinear;
    private Stat _antithetic;
    private Stat _atypical;
    private Stat _batch;
    private Stat _lowMargin;
    private Stat _flip;
    private Stat _textRepeat;
    private Stat _textNear;
    private Stat _extension;
    private Stat _smallEdit;
    private Stat _edit;
    private Stat _logprobs;
    private Stat _topLogprobs;
    private Stat _bias;
    private Stat _biasChanged;
    private Stat _biasKeys;
    private Stat _maxTokens;
    private Stat _singleToken;
    private Stat _prompt;

    private TensorState? _tensor;
    private TextState? _text;

    /// <summary>Requests observed.</summary>
    public long Requests => _requests;

    /// <summary>True once a text (LLM) request was observed, false for tensor clients.</summary>
    public bool IsText => _text is not null && _tensor is null;

    /// <summary>An upper estimate of this client's memory, in bytes (asserted against <see cref="MaxBytes"/> in tests).</summary>
    public int ApproximateBytes =>
        64 + (28 * Marshal.SizeOf<Stat>()) + (_tensor?.ApproximateBytes ?? 0) + (_text?.ApproximateBytes ?? 0);

    /// <summary>Observes a tensor request: <paramref name="values"/> are its rows of <paramref name="rowWidth"/> values, row-major.</summary>
    /// <param name="seconds">When the request arrived, in seconds on any clock that only moves forward.</param>
    /// <param name="reference">
    /// The route's legitimate inputs of this width, which distances are measured against; null
    /// while there is none yet (then the features that need a scale are not updated).
    /// </param>
    public void ObserveTensor(double seconds, ReadOnlySpan<double> values, int rowWidth, TensorReference? reference)
    {
        if (rowWidth <= 0 || values.Length < rowWidth)
        {
            return;
        }

        ObserveArrival(seconds);
        var rows = values.Length / rowWidth;
        _batch.Add(Math.Log10(rows));
        var tensor = _tensor ??= new TensorState();
        tensor.PendingCount = 0;
        TensorBasis basis;
        if (tensor.Basis is { } known && known.Width == rowWidth)
        {
            basis = known;
        }
        else if (TensorBasis.TryFor(rowWidth, out var fresh))
        {
            basis = tensor.Reset(fresh);
        }
        else
        {
            // One more made-up shape once the gateway has seen too many: timing and volume only.
            return;
        }

        var observed = Math.Min(rows, MaxRowsPerRequest);
        for (var r = 0; r < observed; r++)
        {
            ObserveRow(tensor, basis, reference?.Width == rowWidth ? reference : null, values.Slice(r * rowWidth, rowWidth));
        }
    }

    /// <summary>Observes the answer to the last tensor request: probabilities, row-major, <paramref name="classes"/> per row.</summary>
    public void ObserveAnswer(ReadOnlySpan<double> probabilities, int classes)
    {
        if (_tensor is not { PendingCount: > 0 } tensor || classes < 2 || probabilities.Length < classes)
        {
            return;
        }

        var rows = Math.Min(tensor.PendingCount, probabilities.Length / classes);
        for (var r = 0; r < rows; r++)
        {
            var row = probabilities.Slice(r * classes, classes);
            var (label, margin) = TopTwo(row);
            _lowMargin.Add(margin < 0.2 ? 1 : 0);
            tensor.Coverage[label % CoverageBuckets]++;
            tensor.ClassesSeen = Math.Max(tensor.ClassesSeen, Math.Min(classes, CoverageBuckets));
            var slot = tensor.PendingSlots[r];
            var neighbour = tensor.PendingNeighbours[r];
            if (neighbour >= 0 && tensor.PendingDistances[r] < FlipRelative && tensor.Labels[neighbour] != Unknown)
            {
                _flip.Add(tensor.Labels[neighbour] == (byte)Math.Min(label, Unknown - 1) ? 0 : 1);
            }

            tensor.Labels[slot] = (byte)Math.Min(label, Unknown - 1);
        }

        tensor.PendingCount = 0;
    }

    /// <summary>Observes a text (LLM) request: its messages or prompt and its generation parameters.</summary>
    public void ObserveText(double seconds, IReadOnlyList<InferenceInput> inputs, GenerationParameters? generation)
    {
        ObserveArrival(seconds);
        var text = _text ??= new TextState();

        // The conversation as a chain of message hashes: equal prefixes give equal chain values.
        ulong chain = 0;
        ulong chainAtPrevious = 0;
        var messages = 0;
        var characters = 0L;
        string? last = null;
        foreach (var input in inputs)
        {
            if (input is not TextInput { Kind: TextKind.Message } message)
            {
                continue;
            }

            chain = Mix(chain, XxHash3.HashToUInt64(MemoryMarshal.AsBytes(message.Text.AsSpan()), unchecked((long)Fnv(message.Role))));
            messages++;
            characters += message.Text.Length;
            if (messages == text.PreviousMessages)
            {
                chainAtPrevious = chain;
            }

            last = message.Text;
        }

        _prompt.Add(Math.Log10(1 + characters));
        var hasPrevious = text.PreviousMessages > 0;
        var extends = hasPrevious && messages > text.PreviousMessages && chainAtPrevious == text.PreviousChain;
        _extension.Add(extends ? 1 : 0);

        var repeat = false;
        var simHash = SimHash(last ?? string.Empty);
        var nearest = 64;
        for (var i = 0; i < text.Filled; i++)
        {
            if (text.Exact[i] == chain)
            {
                repeat = true;
            }
            else
            {
                nearest = Math.Min(nearest, BitOperations.PopCount(text.SimHashes[i] ^ simHash));
            }
        }

        _textRepeat.Add(repeat ? 1 : 0);
        if (!repeat && text.Filled > 0)
        {
            _textNear.Add(nearest <= NearSimHashBits ? 1 : 0);
        }

        if (hasPrevious && last is not null)
        {
            var edit = text.EditFromPrevious(last);
            _edit.Add(Math.Log10(1 + edit));
            if (!repeat && !extends)
            {
                _smallEdit.Add(edit is > 0 and <= SmallEditChars ? 1 : 0);
            }
        }

        text.Remember(chain, simHash, messages, last ?? string.Empty);

        var logprobs = generation?.Logprobs == true || generation?.TopLogprobs is > 0;
        _logprobs.Add(logprobs ? 1 : 0);
        _topLogprobs.Add(Math.Clamp(generation?.TopLogprobs ?? 0, 0, 20) / 20.0);
        var maxTokens = generation?.MaxCompletionTokens ?? generation?.MaxTokens;
        _maxTokens.Add(Math.Log10(Math.Clamp(maxTokens ?? 4096, 1, 1_000_000)));
        _singleToken.Add(maxTokens is <= 2 ? 1 : 0);

        var bias = generation?.LogitBias;
        _bias.Add(bias is { Count: > 0 } ? 1 : 0);
        if (bias is { Count: > 0 })
        {
            // An order-independent hash of the biased token set.
            ulong set = 0;
            foreach (var key in bias.Keys)
            {
                set += XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
            }

            _biasChanged.Add(text.PreviousBias != 0 && set != text.PreviousBias ? 1 : 0);
            _biasKeys.Add(Math.Log10(1 + bias.Count));
            text.PreviousBias = set;
        }
    }

    /// <summary>Writes the feature vector (<see cref="AnomalyFeatures.Count"/> values) into <paramref name="features"/>.</summary>
    public void WriteFeatures(Span<float> features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features.Length, AnomalyFeatures.Count);
        features[AnomalyFeatures.Queries] = (float)Math.Log10(1 + _requests);
        features[AnomalyFeatures.GapLog] = _gap.Mean;
        features[AnomalyFeatures.GapSpread] = _gap.Spread;
        features[AnomalyFeatures.IsText] = IsText ? 1 : 0;
        features[AnomalyFeatures.ExactRepeat] = _exact.Mean;
        features[AnomalyFeatures.NearDuplicate] = _near.Mean;
        features[AnomalyFeatures.NearestLog] = _nearest.Count > 0 ? _nearest.Mean : 1;
        features[AnomalyFeatures.NearestSpread] = _nearest.Spread;
        features[AnomalyFeatures.NearestIsPrevious] = _nearestPrevious.Mean;
        features[AnomalyFeatures.StepLog] = _step.Count > 0 ? _step.Mean : 1;
        features[AnomalyFeatures.StepSpread] = _step.Spread;
        features[AnomalyFeatures.ChangedShare] = _changed.Mean;
        features[AnomalyFeatures.StepPeakedness] = _peaked.Mean;
        features[AnomalyFeatures.UniformStep] = _uniform.Mean;
        features[AnomalyFeatures.Collinear] = _collinear.Mean;
        features[AnomalyFeatures.Antithetic] = _antithetic.Mean;
        features[AnomalyFeatures.Atypical] = _atypical.Count > 0 ? _atypical.Mean : 0;
        features[AnomalyFeatures.BatchLog] = _batch.Mean;
        features[AnomalyFeatures.LowMargin] = _lowMargin.Mean;
        features[AnomalyFeatures.NearLabelFlip] = _flip.Mean;
        features[AnomalyFeatures.ClassCoverage] = _tensor?.CoverageEntropy() ?? 0;
        features[AnomalyFeatures.TextRepeat] = _textRepeat.Mean;
        features[AnomalyFeatures.TextNear] = _textNear.Mean;
        features[AnomalyFeatures.Extension] = _extension.Mean;
        features[AnomalyFeatures.SmallEdit] = _smallEdit.Mean;
        features[AnomalyFeatures.EditLog] = _edit.Mean;
        features[AnomalyFeatures.LogprobShare] = _logprobs.Mean;
        features[AnomalyFeatures.TopLogprobs] = _topLogprobs.Mean;
        features[AnomalyFeatures.LogitBiasShare] = _bias.Mean;
        features[AnomalyFeatures.BiasNovelty] = _biasChanged.Mean;
        features[AnomalyFeatures.BiasKeysLog] = _biasKeys.Mean;
        features[AnomalyFeatures.MaxTokensLog] = _maxTokens.Mean;
        features[AnomalyFeatures.SingleToken] = _singleToken.Mean;
        features[AnomalyFeatures.PromptLog] = _prompt.Mean;
    }

    private void ObserveArrival(double seconds)
    {
        if (!double.IsNaN(_lastSeconds))
        {
            var gap = Math.Max(seconds - _lastSeconds, 0.001);
            _gap.Add(Math.Log10(gap));
        }

        _lastSeconds = seconds;
        _requests++;
    }

    private void ObserveRow(TensorState tensor, TensorBasis basis, TensorReference? reference, ReadOnlySpan<double> row)
    {
        var exact = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(row));
        var indices = basis.Indices;
        var kept = indices.Length;

        // The sketch of the kept coordinates.
        Span<float> sketch = stackalloc float[SketchSize];
        Span<float> values = stackalloc float[kept];
        double norm2 = 0;
        for (var s = 0; s < kept; s++)
        {
            var value = row[indices[s]];
            values[s] = double.IsFinite(value) ? (float)value : 0f;
            norm2 += (double)values[s] * values[s];
        }

        var projection = basis.Projection;
        for (var k = 0; k < SketchSize; k++)
        {
            var weights = projection.AsSpan(k * kept, kept);
            var sum = 0f;
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var acc = Vector<float>.Zero;
                for (; i <= kept - Vector<float>.Count; i += Vector<float>.Count)
                {
                    acc += new Vector<float>(weights[i..]) * new Vector<float>(values[i..]);
                }

                sum = Vector.Sum(acc);
            }

            for (; i < kept; i++)
            {
                sum += weights[i] * values[i];
            }

            sketch[k] = sum;
        }

        // Distances are measured against the distance between two unrelated legitimate inputs
        // (the route's reference), so they mean the same for any input size and value range.
        // Without a reference yet, only what needs no scale is observed.
        var scale = reference?.Typical ?? double.NaN;
        var scaled = reference is not null;

        // Similarity to the recent window.
        var exactHit = false;
        var best = double.PositiveInfinity;
        var bestSlot = -1;
        for (var e = 0; e < tensor.Filled; e++)
        {
            if (tensor.Exact[e] == exact)
            {
                exactHit = true;
                continue;
            }

            var stored = tensor.Sketches.AsSpan(e * SketchSize, SketchSize);
            double d2 = 0;
            for (var k = 0; k < SketchSize; k++)
            {
                var d = sketch[k] - (float)stored[k];
                d2 += d * d;
            }

            if (d2 < best)
            {
                best = d2;
                bestSlot = e;
            }
        }

        _exact.Add(exactHit ? 1 : 0);
        var relative = bestSlot >= 0 && scaled ? Math.Sqrt(best) / scale : double.PositiveInfinity;
        if (!exactHit && bestSlot >= 0)
        {
            if (scaled)
            {
                _nearest.Add(Math.Log10(Math.Clamp(relative, Floor, 10)));
                _near.Add(relative < NearRelative ? 1 : 0);
            }

            _nearestPrevious.Add(bestSlot == tensor.Last ? 1 : 0);
        }

        // The step from the previous row, exact on the kept coordinates.
        if (tensor.HasPrevious && exact != tensor.PreviousExact)
        {
            double step2 = 0;
            double peak = 0;
            var smallest = double.PositiveInfinity;
            var changed = 0;
            var tiny = 1e-9 * Math.Max(Math.Sqrt(norm2), scaled ? scale : 0);
            for (var s = 0; s < kept; s++)
            {
                var d = Math.Abs((double)values[s] - tensor.Previous[s]);
                if (d > tiny)
                {
                    changed++;
                    step2 += d * d;
                    peak = Math.Max(peak, d);
                    smallest = Math.Min(smallest, d);
                }
            }

            if (changed == 0)
            {
                // The change is outside the kept coordinates: smaller than anything they resolve.
                _changed.Add(0);
                if (scaled)
                {
                    _step.Add(Math.Log10(Floor));
                }
            }
            else
            {
                // ln(changed) / ln(kept): 0 for one coordinate, 1 for all of them, at any size.
                _changed.Add(kept >= 2 ? Math.Log(changed) / Math.Log(kept) : 1);
                var step = Math.Sqrt(step2);
                if (scaled)
                {
                    _step.Add(Math.Log10(Math.Clamp(step / scale, Floor, 10)));
                }

                // Linf / L2 above what a dense random step of this size gives: 0 dense, 1 one coordinate.
                var dense = basis.DenseRatio;
                _peaked.Add(dense < 1 ? Math.Clamp(((peak / step) - dense) / (1 - dense), 0, 1) : 0);
                _uniform.Add(smallest >= 0.99 * peak ? 1 : 0);
                ObserveDirection(tensor, basis, sketch);
            }
        }

        tensor.Remember(sketch);

        // How far the input lies from the route's legitimate inputs: mean squared z-score.
        if (reference is not null)
        {
            var mean = reference.Mean;
            var spread = reference.Scale;
            double z2 = 0;
            for (var s = 0; s < kept; s++)
            {
                var z = (values[s] - mean[s]) / spread[s];
                z2 += z * z;
            }

            _atypical.Add(Math.Log10(Math.Clamp(z2 / kept, 0.01, 1000)));
        }

        // Into the window, replacing the oldest.
        var slot = tensor.Next;
        var target = tensor.Sketches.AsSpan(slot * SketchSize, SketchSize);
        for (var k = 0; k < SketchSize; k++)
        {
            target[k] = (Half)sketch[k];
        }

        tensor.Exact[slot] = exact;
        tensor.Labels[slot] = Unknown;
        values.CopyTo(tensor.Previous);
        tensor.PreviousExact = exact;
        tensor.HasPrevious = true;
        tensor.Last = slot;
        tensor.Next = (slot + 1) % Window;
        tensor.Filled = Math.Min(tensor.Filled + 1, Window);
        var pending = tensor.PendingCount++;
        tensor.PendingSlots[pending] = slot;
        tensor.PendingNeighbours[pending] = bestSlot == slot ? -1 : bestSlot;
        tensor.PendingDistances[pending] = (float)Math.Min(relative, 10);
    }

    /// <summary>
    /// The direction of this step against the previous ones, on exact (float) sketches of the
    /// last rows: collinear steps (a search along one line: |cosine| above 0.95) and mirrored
    /// pairs (this row and the one before share their midpoint with the two before them: the
    /// x+u, x-u pairs of antithetic gradient estimates and symmetric finite differences). Both
    /// are rare for unrelated inputs at any size.
    /// </summary>
    private void ObserveDirection(TensorState tensor, TensorBasis basis, ReadOnlySpan<float> sketch)
    {
        if (tensor.RecentCount < 2)
        {
            return;
        }

        var last = tensor.RecentRow(0);
        var before = tensor.RecentRow(1);
        double dot = 0, n1 = 0, n2 = 0;
        for (var k = 0; k < SketchSize; k++)
        {
            var delta = sketch[k] - last[k];
            var previous = last[k] - before[k];
            dot += delta * previous;
            n1 += delta * delta;
            n2 += previous * previous;
        }

        if (n1 > 0 && n2 > 0)
        {
            _collinear.Add(Math.Abs(dot / Math.Sqrt(n1 * n2)) > 0.95 ? 1 : 0);
        }

        if (tensor.RecentCount >= 3 && n1 > 0)
        {
            var oldest = tensor.RecentRow(2);
            double shift = 0;
            for (var k = 0; k < SketchSize; k++)
            {
                var d = sketch[k] + last[k] - before[k] - oldest[k];
                shift += d * d;
            }

            // |midpoint shift| = |shift| / 2 against the step, at the tolerance that unrelated rows
            // meet 0.1% of the time in this many sketch dimensions.
            _antithetic.Add(Math.Sqrt(shift) / 2 < basis.AntitheticTolerance * Math.Sqrt(n1) ? 1 : 0);
        }
    }

    private static (int Label, double Margin) TopTwo(ReadOnlySpan<double> row)
    {
        var best = 0;
        var first = double.NegativeInfinity;
        var second = double.NegativeInfinity;
        for (var i = 0; i < row.Length; i++)
        {
            var value = row[i];
            if (value > first)
            {
                second = first;
                first = value;
                best = i;
            }
            else if (value > second)
            {
                second = value;
            }
        }

        return (best, double.IsFinite(second) ? first - second : 1);
    }

    private static ulong Mix(ulong chain, ulong value) => unchecked(((chain ^ value) * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL);

    private static ulong Fnv(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 1099511628211UL);
        }

        return hash;
    }

    /// <summary>A 64-bit SimHash over the character 4-grams of (at most the last 2,048 characters of) a text.</summary>
    internal static ulong SimHash(string text)
    {
        var span = text.AsSpan(Math.Max(0, text.Length - 2048));
        if (span.Length < 4)
        {
            return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(span));
        }

        // 64 signed counters as 8 vectors of 8; each byte of a shingle's hash adds its 8 signs at once.
        // The module skips zeroing locals (SkipLocalsInit): the counters must start at zero.
        Span<Vector256<int>> counts = stackalloc Vector256<int>[8];
        counts.Clear();
        var signs = ByteSigns;
        for (var i = 0; i + 4 <= span.Length; i++)
        {
            var shingle = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(span.Slice(i, 4)));
            for (var b = 0; b < 8; b++)
            {
                counts[b] += signs[(int)((shingle >> (8 * b)) & 0xFF)];
            }
        }

        ulong hash = 0;
        for (var b = 0; b < 8; b++)
        {
            var positive = Vector256.GreaterThan(counts[b], Vector256<int>.Zero).ExtractMostSignificantBits();
            hash |= (ulong)positive << (8 * b);
        }

        return hash;
    }

    /// <summary>For each byte value, its 8 bits as +1 (set) or -1 (clear), lowest bit first.</summary>
    private static readonly Vector256<int>[] ByteSigns = [.. Enumerable.Range(0, 256).Select(v =>
        Vector256.Create([.. Enumerable.Range(0, 8).Select(bit => ((v >> bit) & 1) * 2 - 1)]))];

    /// <summary>A running mean and spread, exponentially weighted once it has 32 samples.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Stat
    {
        public float Mean;
        public float Square;
        public int Count;

        public readonly float Spread => MathF.Sqrt(MathF.Max(0, Square - (Mean * Mean)));

        public void Add(double value)
        {
            Count++;
            var weight = Math.Max(1.0 / Count, Alpha);
            Mean += (float)(weight * (value - Mean));
            Square += (float)(weight * ((value * value) - Square));
        }
    }

    private sealed class TensorState
    {
        public readonly Half[] Sketches = new Half[Window * SketchSize];
        public readonly ulong[] Exact = new ulong[Window];
        public readonly byte[] Labels = new byte[Window];
        public readonly float[] Recent = new float[3 * SketchSize];
        public readonly int[] Coverage = new int[CoverageBuckets];
        public readonly int[] PendingSlots = new int[MaxRowsPerRequest];
        public readonly int[] PendingNeighbours = new int[MaxRowsPerRequest];
        public readonly float[] PendingDistances = new float[MaxRowsPerRequest];
        public float[] Previous = [];
        public TensorBasis? Basis;
        public int Filled;
        public int Next;
        public int Last;
        public int PendingCount;
        public int RecentCount;
        public int RecentNext;
        public int ClassesSeen;
        public bool HasPrevious;
        public ulong PreviousExact;

        public int ApproximateBytes =>
            96 + (Window * SketchSize * 2) + (Window * 8) + Window + (SketchSize * 4) + (CoverageBuckets * 4)
            + (MaxRowsPerRequest * 12) + (Previous.Length * 4) + (6 * 24) + (3 * SketchSize * 4);

        /// <summary>A new input width (the client moved to another model): the window starts over.</summary>
        public TensorBasis Reset(TensorBasis basis)
        {
            Basis = basis;
            Previous = new float[basis.Indices.Length];
            RecentCount = 0;
            RecentNext = 0;
            Filled = 0;
            Next = 0;
            Last = 0;
            HasPrevious = false;
            return basis;
        }

        /// <summary>The float sketch of the row <paramref name="back"/> rows before the current one (0: the last).</summary>
        public ReadOnlySpan<float> RecentRow(int back) =>
            Recent.AsSpan(((RecentNext - 1 - back + 3) % 3) * SketchSize, SketchSize);

        public void Remember(ReadOnlySpan<float> sketch)
        {
            sketch.CopyTo(Recent.AsSpan(RecentNext * SketchSize, SketchSize));
            RecentNext = (RecentNext + 1) % 3;
            RecentCount = Math.Min(RecentCount + 1, 3);
        }

        public float CoverageEntropy()
        {
            var total = 0;
            foreach (var count in Coverage)
            {
                total += count;
            }

            if (total == 0 || ClassesSeen < 2)
            {
                return 0;
            }

            double entropy = 0;
            foreach (var count in Coverage)
            {
                if (count > 0)
                {
                    var p = (double)count / total;
                    entropy -= p * Math.Log(p);
                }
            }

            return (float)(entropy / Math.Log(ClassesSeen));
        }
    }

    private sealed class TextState
    {
        public readonly ulong[] Exact = new ulong[Window];
        public readonly ulong[] SimHashes = new ulong[Window];
        public readonly char[] Previous = new char[PromptChars];
        public int PreviousLength;
        public int PreviousMessages;
        public ulong PreviousChain;
        public ulong PreviousBias;
        public int Filled;
        public int Next;

        public int ApproximateBytes => 64 + (Window * 16) + (PromptChars * 2) + (3 * 24);

        public void Remember(ulong chain, ulong simHash, int messages, string last)
        {
            Exact[Next] = chain;
            SimHashes[Next] = simHash;
            Next = (Next + 1) % Window;
            Filled = Math.Min(Filled + 1, Window);
            PreviousChain = chain;
            PreviousMessages = messages;
            PreviousLength = last.Length;
            Keep(last, Previous);
        }

        /// <summary>
        /// Characters changed between the previous last message and <paramref name="current"/>:
        /// the length of the one span that differs once the common start and end are removed.
        /// Up to <see cref="PromptChars"/> characters exact; for longer messages the first and last
        /// halves of that are compared and the middle is taken as unchanged when the lengths agree.
        /// </summary>
        public int EditFromPrevious(string current)
        {
            Span<char> kept = stackalloc char[PromptChars];
            var length = Keep(current, kept);
            var previous = Previous.AsSpan(0, Math.Min(PreviousLength, PromptChars));
            var now = kept[..length];
            var shorter = Math.Min(previous.Length, now.Length);
            var prefix = previous.CommonPrefixLength(now);
            var suffix = 0;
            while (suffix < shorter - prefix && previous[^(suffix + 1)] == now[^(suffix + 1)])
            {
                suffix++;
            }

            var span = Math.Max(previous.Length, now.Length) - prefix - suffix;
            return Math.Max(span, Math.Abs(PreviousLength - current.Length));
        }

        private static int Keep(string text, Span<char> destination)
        {
            if (text.Length <= destination.Length)
            {
                text.AsSpan().CopyTo(destination);
                return text.Length;
            }

            var half = destination.Length / 2;
            text.AsSpan(0, half).CopyTo(destination);
            text.AsSpan(text.Length - half, half).CopyTo(destination[half..]);
            return destination.Length;
        }
    }
}
