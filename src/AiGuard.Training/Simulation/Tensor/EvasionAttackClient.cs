namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// An evasion attack: takes natural originals one after another and searches, through the
/// victim's answers, for a nearby input it misclassifies.
/// </summary>
public abstract class EvasionAttackClient : TensorClient
{
    private readonly Action<EvasionProgress>? _onProgress;

    /// <param name="onProgress">Told after each step of the attack (tests and reports watch it converge).</param>
    protected EvasionAttackClient(Action<EvasionProgress>? onProgress) => _onProgress = onProgress;

    public sealed override bool IsAttack => true;

    protected void Report(int sample, int step, float[] original, int originalClass, float[] current, float[] currentProbabilities) =>
        _onProgress?.Invoke(new EvasionProgress(sample, step, original, originalClass, current, currentProbabilities));
}
