using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Anomaly;

/// <summary>
/// One caller's scratch for scoring a single row: pinned input and output buffers wrapped once
/// in <see cref="OrtValue"/>s and bound once to an <see cref="OrtIoBinding"/>, so a run is a
/// copy into the input buffer plus <c>RunWithBinding</c> and allocates no managed memory
/// (the <c>Run</c> overloads that take collections build arrays on every call). Not
/// thread-safe: <see cref="SingleRowBindingPool"/> hands each one to one caller at a time.
/// </summary>
internal sealed class SingleRowBinding : IDisposable
{
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;
    private readonly OrtIoBinding _binding;

    public SingleRowBinding(InferenceSession session, int featureCount, string outputName, int scoreRank)
    {
        // On the pinned object heap: the buffers never move, and pinning them costs nothing.
        _input = GC.AllocateArray<float>(featureCount, pinned: true);
        _output = GC.AllocateArray<float>(1, pinned: true);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, featureCount]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, scoreRank == 2 ? [1, 1] : [1]);
        _binding = session.CreateIoBinding();
        try
        {
            _binding.BindInput(AnomalyModelMetadata.InputName, _inputValue);
            _binding.BindOutput(outputName, _outputValue);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public float Run(InferenceSession session, RunOptions runOptions, ReadOnlySpan<float> row)
    {
        row.CopyTo(_input);
        session.RunWithBinding(runOptions, _binding);
        return _output[0];
    }

    public void Dispose()
    {
        _binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
    }
}
