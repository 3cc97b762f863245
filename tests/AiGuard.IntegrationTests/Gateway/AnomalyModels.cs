using AiGuard.Training;
using AiGuard.Training.Features;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A small anomaly model trained with the offline ML.NET trainer, for gateway start-up tests.</summary>
internal static class AnomalyModels
{
    private static readonly Lazy<AnomalyTrainingResult> SmallModel = new(() => AnomalyTrainer.Train(
        TrainingData.FromTable(SyntheticFeatureTable.Generate(800, seed: 5)), seed: 5, new AnomalyTreeSettings { Trees = 10, Leaves = 8 }));

    /// <summary>10 trees of 8 leaves on 800 synthetic rows; write it with <see cref="AnomalyTrainingResult.WriteFiles"/>.</summary>
    public static AnomalyTrainingResult Small => SmallModel.Value;
}
