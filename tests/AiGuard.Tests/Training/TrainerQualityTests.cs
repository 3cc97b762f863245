using AiGuard.Training;
using AiGuard.Training.Features;
using AiGuard.Training.Trees;

namespace AiGuard.Tests.Training;

public class TrainerQualityTests
{
    [Fact]
    public void Isolation_forest_trained_without_labels_ranks_synthetic_outliers_above_benign_clients()
    {
        var training = SyntheticFeatureTable.Generate(5000, seed: 1);
        var holdout = SyntheticFeatureTable.Generate(3000, seed: 2, withLabels: true);

        var model = IsolationForestTrainer.Train(training, new AnomalyTrainingOptions { Seed = 42 });

        Assert.True(Auc(model, holdout) > 0.95, $"AUC {Auc(model, holdout)}");
    }

    [Fact]
    public void Gradient_boosting_trained_with_labels_separates_synthetic_outliers()
    {
        var training = SyntheticFeatureTable.Generate(5000, seed: 3, withLabels: true);
        var holdout = SyntheticFeatureTable.Generate(3000, seed: 4, withLabels: true);

        var model = GradientBoostingTrainer.Train(training, new AnomalyTrainingOptions { Seed = 42 });

        Assert.True(Auc(model, holdout) > 0.99, $"AUC {Auc(model, holdout)}");
    }

    [Fact]
    public void Supervised_training_needs_both_classes()
    {
        var table = new FeatureTable(["a"], [1f, 2f, 3f], [0f, 0f, 0f]);

        var error = Assert.Throws<InvalidDataException>(() => GradientBoostingTrainer.Train(table, new AnomalyTrainingOptions()));

        Assert.Contains("both 0 and 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synthetic_table_is_reproducible_from_its_seed()
    {
        var a = SyntheticFeatureTable.Generate(100, seed: 5, withLabels: true);
        var b = SyntheticFeatureTable.Generate(100, seed: 5, withLabels: true);

        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
        Assert.Equal(a.Labels.ToArray(), b.Labels.ToArray());
    }

    /// <summary>Probability that a random outlier scores above a random benign row.</summary>
    private static double Auc(TreeEnsembleModel model, FeatureTable holdout)
    {
        var outliers = new List<float>();
        var benign = new List<float>();
        for (var r = 0; r < holdout.RowCount; r++)
        {
            (holdout.Labels[r] == 1 ? outliers : benign).Add(model.Score(holdout.Row(r)));
        }

        double wins = 0;
        foreach (var o in outliers)
        {
            foreach (var b in benign)
            {
                wins += o > b ? 1 : o == b ? 0.5 : 0;
            }
        }

        return wins / (outliers.Count * (double)benign.Count);
    }
}
