using AiGuard.Training;
using AiGuard.Training.Features;

namespace AiGuard.Tests.Training;

/// <summary>One small ML.NET model, trained once per test run and shared by the tests that only load it.</summary>
internal static class TrainedModels
{
    private static readonly Lazy<AnomalyTrainingResult> SmallModel = new(() => AnomalyTrainer.Train(
        TrainingData.FromTable(SyntheticFeatureTable.Generate(1500, seed: 21)),
        seed: 3,
        new AnomalyTreeSettings { Trees = 30, Leaves = 8 }));

    /// <summary>30 trees of 8 leaves on 1,500 synthetic rows (seed 21), training seed 3.</summary>
    public static AnomalyTrainingResult Small => SmallModel.Value;
}
