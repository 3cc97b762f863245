namespace AiGuard.Training.Trees;

/// <summary>Grows a <see cref="DecisionTree"/> node by node.</summary>
internal sealed class DecisionTreeBuilder
{
    private readonly List<int> _feature = [];
    private readonly List<float> _threshold = [];
    private readonly List<int> _left = [];
    private readonly List<int> _right = [];
    private readonly List<float> _value = [];

    /// <summary>Adds a node that is a leaf until <see cref="MakeSplit"/> turns it into a branch.</summary>
    public int AddLeaf(float value)
    {
        _feature.Add(0);
        _threshold.Add(0);
        _left.Add(-1);
        _right.Add(-1);
        _value.Add(value);
        return _left.Count - 1;
    }

    public void SetLeafValue(int node, float value) => _value[node] = value;

    public void MakeSplit(int node, int feature, float threshold, int left, int right)
    {
        _feature[node] = feature;
        _threshold[node] = threshold;
        _left[node] = left;
        _right[node] = right;
        _value[node] = 0;
    }

    public DecisionTree Build() =>
        new([.. _feature], [.. _threshold], [.. _left], [.. _right], [.. _value]);
}
