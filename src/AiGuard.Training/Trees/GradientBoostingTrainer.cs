using AiGuard.Training.Features;

namespace AiGuard.Training.Trees;

/// <summary>
/// Gradient-boosted regression trees with logistic loss for labelled rows (label 1 = abusive):
/// Newton steps with L2-regularised leaves, grown level by level with an exact greedy split
/// search over pre-sorted columns. The tree sum is the log-odds; score = sigmoid(sum + base).
/// </summary>
public static class GradientBoostingTrainer
{
    public const string AlgorithmName = "gradient_boosting";

    private const double Lambda = 1.0;
    private const double MinChildHessian = 1.0;
    private const double MinGain = 1e-9;

    public static TreeEnsembleModel Train(FeatureTable table, AnomalyTrainingOptions options, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var labels = table.Labels;
        double positives = 0;
        foreach (var y in labels)
        {
            positives += y;
        }

        if (positives == 0 || positives == table.RowCount)
        {
            throw new InvalidDataException(
                $"The '{FeatureTable.LabelColumn}' column must contain both 0 and 1 to train a supervised model.");
        }

        var rowCount = table.RowCount;
        var baseValue = (float)Math.Log(positives / (rowCount - positives));
        var sorted = SortColumns(table);
        var margin = new double[rowCount];
        Array.Fill(margin, baseValue);
        var gradient = new double[rowCount];
        var hessian = new double[rowCount];
        var random = new Random(options.Seed);
        var trees = new DecisionTree[options.Trees];
        for (var t = 0; t < trees.Length; t++)
        {
            for (var r = 0; r < rowCount; r++)
            {
                var p = 1.0 / (1.0 + Math.Exp(-margin[r]));
                gradient[r] = p - labels[r];
                hessian[r] = Math.Max(p * (1 - p), 1e-6);
            }

            var tree = GrowTree(table, sorted, gradient, hessian, options, random);
            for (var r = 0; r < rowCount; r++)
            {
                margin[r] += tree.Evaluate(table.Row(r));
            }

            trees[t] = tree;
            progress?.Report(t + 1);
        }

        return new TreeEnsembleModel(AlgorithmName, table.FeatureCount, trees, ScoreTransform.Logistic, 1f, baseValue);
    }

    private static int[][] SortColumns(FeatureTable table)
    {
        var sorted = new int[table.FeatureCount][];
        var keys = new float[table.RowCount];
        for (var f = 0; f < table.FeatureCount; f++)
        {
            sorted[f] = Enumerable.Range(0, table.RowCount).ToArray();
            for (var r = 0; r < table.RowCount; r++)
            {
                keys[r] = table[r, f];
            }

            Array.Sort((float[])keys.Clone(), sorted[f]);
        }

        return sorted;
    }

    private static DecisionTree GrowTree(
        FeatureTable table, int[][] sorted, double[] gradient, double[] hessian, AnomalyTrainingOptions options, Random random)
    {
        var builder = new DecisionTreeBuilder();
        // nodeOf[r] is the builder node a row sits in at the current level, -1 when out of the subsample.
        var nodeOf = new int[table.RowCount];
        for (var r = 0; r < nodeOf.Length; r++)
        {
            nodeOf[r] = random.NextDouble() < options.Subsample ? 0 : -1;
        }

        var level = new List<int> { builder.AddLeaf(0) };
        for (var depth = 0; level.Count > 0; depth++)
        {
            var stats = NodeStats(level, nodeOf, gradient, hessian);
            var splits = depth < options.MaxDepth ? FindSplits(table, sorted, level, nodeOf, gradient, hessian, stats) : null;
            var next = new List<int>();
            var childOf = new Dictionary<int, (int Left, int Right, int Feature, float Threshold)>();
            for (var i = 0; i < level.Count; i++)
            {
                var node = level[i];
                if (splits is not null && splits[i].Gain > MinGain)
                {
                    var left = builder.AddLeaf(0);
                    var right = builder.AddLeaf(0);
                    builder.MakeSplit(node, splits[i].Feature, splits[i].Threshold, left, right);
                    childOf[node] = (left, right, splits[i].Feature, splits[i].Threshold);
                    next.Add(left);
                    next.Add(right);
                }
                else
                {
                    var (g, h) = stats[i];
                    builder.SetLeafValue(node, (float)(-g / (h + Lambda) * options.LearningRate));
                }
            }

            for (var r = 0; r < nodeOf.Length; r++)
            {
                if (nodeOf[r] >= 0)
                {
                    nodeOf[r] = childOf.TryGetValue(nodeOf[r], out var c)
                        ? (table[r, c.Feature] <= c.Threshold ? c.Left : c.Right)
                        : -1;
                }
            }

            level = next;
        }

        return builder.Build();
    }

    private static (double G, double H)[] NodeStats(List<int> level, int[] nodeOf, double[] gradient, double[] hessian)
    {
        var slot = SlotMap(level);
        var stats = new (double G, double H)[level.Count];
        for (var r = 0; r < nodeOf.Length; r++)
        {
            if (nodeOf[r] >= 0 && slot.TryGetValue(nodeOf[r], out var s))
            {
                stats[s].G += gradient[r];
                stats[s].H += hessian[r];
            }
        }

        return stats;
    }

    private static (double Gain, int Feature, float Threshold)[] FindSplits(
        FeatureTable table, int[][] sorted, List<int> level, int[] nodeOf, double[] gradient, double[] hessian, (double G, double H)[] stats)
    {
        var slot = SlotMap(level);
        var best = new (double Gain, int Feature, float Threshold)[level.Count];
        var leftG = new double[level.Count];
        var leftH = new double[level.Count];
        var last = new float[level.Count];
        var seen = new bool[level.Count];
        for (var f = 0; f < table.FeatureCount; f++)
        {
            Array.Clear(leftG);
            Array.Clear(leftH);
            Array.Clear(seen);
            foreach (var r in sorted[f])
            {
                if (nodeOf[r] < 0 || !slot.TryGetValue(nodeOf[r], out var s))
                {
                    continue;
                }

                var v = table[r, f];
                if (seen[s] && v > last[s])
                {
                    var (g, h) = stats[s];
                    var (gl, hl) = (leftG[s], leftH[s]);
                    var (gr, hr) = (g - gl, h - hl);
                    if (hl >= MinChildHessian && hr >= MinChildHessian)
                    {
                        var gain = (gl * gl / (hl + Lambda)) + (gr * gr / (hr + Lambda)) - (g * g / (h + Lambda));
                        if (gain > best[s].Gain)
                        {
                            best[s] = (gain, f, Midpoint(last[s], v));
                        }
                    }
                }

                leftG[s] += gradient[r];
                leftH[s] += hessian[r];
                last[s] = v;
                seen[s] = true;
            }
        }

        return best;
    }

    /// <summary>A float threshold t with lower &lt;= t &lt; upper, so "x &lt;= t" splits exactly there.</summary>
    private static float Midpoint(float lower, float upper)
    {
        var mid = (float)(((double)lower + upper) / 2);
        return mid >= lower && mid < upper ? mid : lower;
    }

    private static Dictionary<int, int> SlotMap(List<int> level)
    {
        var slot = new Dictionary<int, int>(level.Count);
        for (var i = 0; i < level.Count; i++)
        {
            slot[level[i]] = i;
        }

        return slot;
    }
}
