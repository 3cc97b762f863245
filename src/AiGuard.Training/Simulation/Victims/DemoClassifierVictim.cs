using AiGuard.Training.Simulation.Tensor;
using DemoModel.Classifier;

namespace AiGuard.Training.Simulation.Victims;

/// <summary>
/// The demo model's <c>demo-classifier</c> itself (4 iris-like features, 3 classes, softmax regression),
/// trained exactly as the demo server trains it at start-up.
/// </summary>
public sealed class DemoClassifierVictim : IVictimModel
{
    // Other "species": blobs that look like the training data (same scale, same spreads)
    // but lie away from its three classes, all inside the value range.
    private static readonly double[][] OutOfDomainCentres =
    [
        [7.3, 1.4, 1.2, 3.1],
        [2.2, 5.6, 6.4, 0.8],
        [3.6, 2.1, 2.6, 4.6],
        [7.5, 4.6, 7.1, 0.6],
        [1.6, 1.2, 7.0, 5.9],
        [4.2, 6.8, 0.9, 6.9],
    ];

    private static readonly double[] OutOfDomainSpreads = [0.45, 0.35, 0.40, 0.30];

    private readonly DemoClassifier _classifier = DemoClassifier.Train();

    public string Name => DemoClassifier.Name;

    public int InputSize => _classifier.FeatureCount;

    public int ClassCount => _classifier.ClassCount;

    /// <summary>0 cm: no measurement is negative.</summary>
    public float MinValue => 0f;

    /// <summary>8 cm: about three spreads above the largest class centre.</summary>
    public float MaxValue => 8f;

    public (int Height, int Width)? ImageShape => null;

    public double TrainingAccuracy => _classifier.TrainingAccuracy;

    public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(rows.Length % InputSize, 0, nameof(rows));
        _classifier.Predict(rows).CopyTo(probabilities);
    }

    public int SampleNatural(Random random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        var label = random.Next(DemoDataset.Centres.Length);
        Draw(random, DemoDataset.Centres[label], DemoDataset.Spreads[label], destination);
        return label;
    }

    public void SampleOutOfDomain(Random random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        Draw(random, random.Pick(OutOfDomainCentres), OutOfDomainSpreads, destination);
    }

    private void Draw(Random random, double[] centre, double[] spreads, Span<float> destination)
    {
        for (var f = 0; f < InputSize; f++)
        {
            destination[f] = (float)Math.Clamp(centre[f] + (spreads[f] * random.NextGaussian()), MinValue, MaxValue);
        }
    }
}
