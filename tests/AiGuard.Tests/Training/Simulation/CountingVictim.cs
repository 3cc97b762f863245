using AiGuard.Training.Simulation;

namespace AiGuard.Tests.Training.Simulation;

/// <summary>A victim that counts the calls to its model: a client may only see answers it really asked for.</summary>
internal sealed class CountingVictim(IVictimModel inner) : IVictimModel
{
    public int Predictions { get; private set; }

    public string Name => inner.Name;

    public int InputSize => inner.InputSize;

    public int ClassCount => inner.ClassCount;

    public float MinValue => inner.MinValue;

    public float MaxValue => inner.MaxValue;

    public (int Height, int Width)? ImageShape => inner.ImageShape;

    public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
    {
        Predictions++;
        inner.Predict(rows, probabilities);
    }

    public int SampleNatural(Random random, Span<float> destination) => inner.SampleNatural(random, destination);

    public void SampleOutOfDomain(Random random, Span<float> destination) => inner.SampleOutOfDomain(random, destination);
}
