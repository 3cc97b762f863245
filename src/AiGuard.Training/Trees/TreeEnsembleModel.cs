namespace AiGuard.Training.Trees;

/// <summary>How the summed tree output becomes a score in [0, 1].</summary>
public enum ScoreTransform
{
    /// <summary>score = exp(Scale * sum): with Scale = -ln 2 / c(psi) this is 2^(-E[h]/c(psi)).</summary>
    ScaledExp,

    /// <summary>score = sigmoid(sum + BaseValue): log-odds of gradient boosting.</summary>
    Logistic,
}

/// <summary>
/// A trained tree ensemble plus its output transform. <see cref="Score"/> is the pure C#
/// reference that ONNX Runtime's output on the exported model is checked against.
/// </summary>
public sealed class TreeEnsembleModel
{
    public TreeEnsembleModel(
        string algorithm, int featureCount, IReadOnlyList<DecisionTree> trees, ScoreTransform transform, float scale, float baseValue)
    {
        Algorithm = algorithm;
        FeatureCount = featureCount;
        Trees = trees;
        Transform = transform;
        Scale = scale;
        BaseValue = baseValue;
    }

    /// <summary>Name written to the aiguard.algorithm metadata.</summary>
    public string Algorithm { get; }

    public int FeatureCount { get; }

    public IReadOnlyList<DecisionTree> Trees { get; }

    public ScoreTransform Transform { get; }

    /// <summary>Multiplier of the tree sum (ScaledExp only).</summary>
    public float Scale { get; }

    /// <summary>Added to the tree sum (Logistic only; ONNX base_values).</summary>
    public float BaseValue { get; }

    /// <summary>Reference score, computed in float in the same order as ONNX Runtime does.</summary>
    public float Score(ReadOnlySpan<float> row)
    {
        if (row.Length != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features, got {row.Length}.", nameof(row));
        }

        var sum = 0f;
        foreach (var tree in Trees)
        {
            sum += tree.Evaluate(row);
        }

        return Transform switch
        {
            ScoreTransform.ScaledExp => MathF.Exp(sum * Scale),
            _ => 1f / (1f + MathF.Exp(-(sum + BaseValue))),
        };
    }
}
