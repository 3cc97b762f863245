using System.Diagnostics;
using AiGuard.Training.Simulation.Tensor;

namespace AiGuard.Training.Simulation.Victims;

/// <summary>
/// An image classifier unlike the demo one: 16x16 single-channel glyphs (values 0..255) in 10
/// classes, each class a seeded set of pen strokes drawn with a handwriting-like variation,
/// classified by a one-hidden-layer ReLU network trained at construction.
/// </summary>
public sealed class GlyphVictim : IVictimModel
{
    public const int DefaultSeed = 2024;
    public const int Classes = 10;
    public const int HiddenUnits = 32;
    public const int TrainingRowsPerClass = 200;
    public const int Epochs = 8;
    public const double LearningRate = 0.05;

    private readonly float[][][] _prototypes;
    private readonly MlpClassifier _model;

    public GlyphVictim(int seed = DefaultSeed)
    {
        var started = Stopwatch.GetTimestamp();
        var random = new Random(seed);
        _prototypes = GlyphDrawing.CreatePrototypes(random, Classes);

        var labels = new int[Classes * TrainingRowsPerClass];
        var rows = new float[labels.Length * InputSize];
        for (var r = 0; r < labels.Length; r++)
        {
            labels[r] = r % Classes;
            GlyphDrawing.DrawVariant(random, _prototypes[labels[r]], rows.AsSpan(r * InputSize, InputSize));
        }

        _model = MlpClassifier.Train(rows, labels, Classes, HiddenUnits, MinValue, MaxValue, Epochs, LearningRate, random);
        TrainingAccuracy = Accuracy(rows, labels);
        TrainingTime = Stopwatch.GetElapsedTime(started);
    }

    public string Name => "glyphs";

    public int InputSize => GlyphDrawing.Size * GlyphDrawing.Size;

    public int ClassCount => Classes;

    public float MinValue => 0f;

    public float MaxValue => GlyphDrawing.MaxIntensity;

    public (int Height, int Width)? ImageShape => (GlyphDrawing.Size, GlyphDrawing.Size);

    public double TrainingAccuracy { get; }

    public TimeSpan TrainingTime { get; }

    public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(rows.Length % InputSize, 0, nameof(rows));
        _model.Predict(rows, probabilities);
    }

    public int SampleNatural(Random random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        var label = random.Next(Classes);
        GlyphDrawing.DrawVariant(random, _prototypes[label], destination);
        return label;
    }

    public void SampleOutOfDomain(Random random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        GlyphDrawing.DrawOtherDomain(random, destination);
    }

    private double Accuracy(float[] rows, int[] labels)
    {
        var probabilities = new float[labels.Length * Classes];
        Predict(rows, probabilities);
        var correct = 0;
        for (var r = 0; r < labels.Length; r++)
        {
            if (TensorMath.ArgMax(probabilities.AsSpan(r * Classes, Classes)) == labels[r])
            {
                correct++;
            }
        }

        return (double)correct / labels.Length;
    }
}
