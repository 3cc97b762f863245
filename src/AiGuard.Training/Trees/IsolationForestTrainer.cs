using AiGuard.Training.Features;

namespace AiGuard.Training.Trees;

/// <summary>
/// Isolation forest (Liu, Ting, Zhou 2008) for unlabelled rows: outliers are isolated by fewer
/// random splits. Each leaf stores its path length h = depth + c(size) divided by the tree count,
/// so the ensemble sum is E[h], and score = 2^(-E[h]/c(psi)) = exp(sum * -ln2/c(psi)).
/// </summary>
public static class IsolationForestTrainer
{
    public const string AlgorithmName = "isolation_forest";

    public static TreeEnsembleModel Train(FeatureTable table, AnomalyTrainingOptions options, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var random = new Random(options.Seed);
        var sampleSize = Math.Min(options.SampleSize, table.RowCount);
        if (sampleSize < 2)
        {
            throw new InvalidDataException("An isolation forest needs at least 2 rows.");
        }

        var heightLimit = (int)Math.Ceiling(Math.Log2(sampleSize));
        var all = Enumerable.Range(0, table.RowCount).ToArray();
        var trees = new DecisionTree[options.Trees];
        for (var t = 0; t < trees.Length; t++)
        {
            // Partial Fisher-Yates: the first sampleSize entries become a sample without replacement.
            for (var i = 0; i < sampleSize; i++)
            {
                var j = random.Next(i, all.Length);
                (all[i], all[j]) = (all[j], all[i]);
            }

            var sample = all.AsSpan(0, sampleSize).ToArray();
            var builder = new DecisionTreeBuilder();
            Grow(builder, builder.AddLeaf(0), table, sample, 0, heightLimit, options.Trees, random);
            trees[t] = builder.Build();
            progress?.Report(t + 1);
        }

        var scale = (float)(-Math.Log(2) / AveragePathLength(sampleSize));
        return new TreeEnsembleModel(AlgorithmName, table.FeatureCount, trees, ScoreTransform.ScaledExp, scale, 0f);
    }

    /// <summary>c(n): the average path length of an unsuccessful search in a binary search tree of n items.</summary>
    public static double AveragePathLength(int n) => n switch
    {
        <= 1 => 0,
        2 => 1,
        _ => (2 * (Math.Log(n - 1) + 0.5772156649015329)) - (2.0 * (n - 1) / n),
    };

    private static void Grow(
        DecisionTreeBuilder builder, int node, FeatureTable table, Span<int> rows, int depth, int heightLimit, int treeCount, Random random)
    {
        var leafValue = (float)((depth + AveragePathLength(rows.Length)) / treeCount);
        if (depth >= heightLimit || rows.Length <= 1)
        {
            builder.SetLeafValue(node, leafValue);
            return;
        }

        // Only features that still vary can split; picking among them keeps every split useful.
        Span<int> candidates = stackalloc int[table.FeatureCount];
        var candidateCount = 0;
        for (var f = 0; f < table.FeatureCount; f++)
        {
            var (min, max) = Range(table, rows, f);
            if (max > min)
            {
                candidates[candidateCount++] = f;
            }
        }

        if (candidateCount == 0)
        {
            builder.SetLeafValue(node, leafValue);
            return;
        }

        var feature = candidates[random.Next(candidateCount)];
        var (lo, hi) = Range(table, rows, feature);
        var threshold = (float)(lo + (random.NextDouble() * ((double)hi - lo)));
        if (threshold >= hi)
        {
            // float rounding reached the maximum; splitting at the minimum still separates rows.
            threshold = lo;
        }

        var leftCount = Partition(table, rows, feature, threshold);
        var left = builder.AddLeaf(0);
        var right = builder.AddLeaf(0);
        builder.MakeSplit(node, feature, threshold, left, right);
        Grow(builder, left, table, rows[..leftCount], depth + 1, heightLimit, treeCount, random);
        Grow(builder, right, table, rows[leftCount..], depth + 1, heightLimit, treeCount, random);
    }

    private static (float Min, float Max) Range(FeatureTable table, Span<int> rows, int feature)
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var r in rows)
        {
            var v = table[r, feature];
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return (min, max);
    }

    /// <summary>Moves rows with value &lt;= threshold to the front; returns how many.</summary>
    internal static int Partition(FeatureTable table, Span<int> rows, int feature, float threshold)
    {
        var left = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            if (table[rows[i], feature] <= threshold)
            {
                (rows[left], rows[i]) = (rows[i], rows[left]);
                left++;
            }
        }

        return left;
    }
}
