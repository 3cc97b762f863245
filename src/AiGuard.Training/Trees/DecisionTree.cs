namespace AiGuard.Training.Trees;

/// <summary>
/// A binary decision tree in array form: node i goes left when row[Feature[i]] &lt;= Threshold[i]
/// (ONNX BRANCH_LEQ), and is a leaf with Value[i] when Left[i] is -1. Node 0 is the root.
/// </summary>
public sealed class DecisionTree
{
    internal DecisionTree(int[] feature, float[] threshold, int[] left, int[] right, float[] value)
    {
        Feature = feature;
        Threshold = threshold;
        Left = left;
        Right = right;
        Value = value;
    }

    public IReadOnlyList<int> Feature { get; }

    public IReadOnlyList<float> Threshold { get; }

    public IReadOnlyList<int> Left { get; }

    public IReadOnlyList<int> Right { get; }

    public IReadOnlyList<float> Value { get; }

    public int NodeCount => Left.Count;

    /// <summary>The leaf value for a row: the reference for what ONNX Runtime computes.</summary>
    public float Evaluate(ReadOnlySpan<float> row)
    {
        var node = 0;
        while (Left[node] >= 0)
        {
            // A NaN compares false and goes right, as ORT's BRANCH_LEQ does without missing-value tracking.
            node = row[Feature[node]] <= Threshold[node] ? Left[node] : Right[node];
        }

        return Value[node];
    }
}
