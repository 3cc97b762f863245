using System.Buffers;
using System.Runtime.InteropServices;
using AiGuard.Onnx.Native;

namespace AiGuard.Onnx;

/// <summary>An ONNX Runtime inference session over the C API, created from model bytes.</summary>
public sealed unsafe class OnnxSession : IOnnxSession
{
    private const int GraphOptimizationEnableAll = 99;

    private readonly OrtSessionHandle _handle;
    private readonly OrtMemoryInfoHandle _cpuMemory;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private volatile bool _disposed;

    private OnnxSession(OrtSessionHandle handle, OrtMemoryInfoHandle cpuMemory)
    {
        _handle = handle;
        _cpuMemory = cpuMemory;
        var session = handle.DangerousGetHandle();
        Inputs = ReadNodes(session, OrtApi.SessionGetInputCount(session), OrtApi.SessionGetInputName, OrtApi.SessionGetInputTypeInfo);
        Outputs = ReadNodes(session, OrtApi.SessionGetOutputCount(session), OrtApi.SessionGetOutputName, OrtApi.SessionGetOutputTypeInfo);
        Metadata = ReadMetadata(session);
        _inputNames = Names(Inputs);
        _outputNames = Names(Outputs);
        handle.NativeInputNames = ToNative(_inputNames);
        handle.NativeOutputNames = ToNative(_outputNames);
    }

    /// <inheritdoc />
    public IReadOnlyList<OnnxNodeInfo> Inputs { get; }

    /// <inheritdoc />
    public IReadOnlyList<OnnxNodeInfo> Outputs { get; }

    /// <inheritdoc />
    public OnnxModelMetadata Metadata { get; }

    /// <summary>The ONNX Runtime library file in use (loaded by the first session).</summary>
    public static string? LoadedLibraryPath => OrtApi.LoadedFrom;

    /// <summary>The loaded ONNX Runtime's version, e.g. "1.30.0".</summary>
    public static string? RuntimeVersion => OrtApi.Version;

    /// <summary>Creates a session from a serialized ONNX model.</summary>
    public static OnnxSession Create(ReadOnlySpan<byte> model, OnnxSessionOptions? options = null)
    {
        options ??= new OnnxSessionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpThreads, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InterOpThreads, 1, nameof(options));
        var env = OrtEnvironment.Env(options.LibraryPath);
        var cpuMemory = OrtEnvironment.CpuMemory(options.LibraryPath);

        using var sessionOptions = new OrtSessionOptionsHandle(OrtApi.CreateSessionOptions());
        var opts = sessionOptions.DangerousGetHandle();
        OrtApi.SetIntraOpNumThreads(opts, options.IntraOpThreads);
        OrtApi.SetInterOpNumThreads(opts, options.InterOpThreads);
        OrtApi.SetSessionGraphOptimizationLevel(opts, GraphOptimizationEnableAll);

        IntPtr session;
        fixed (byte* data = model)
        {
            session = OrtApi.CreateSessionFromArray(env.DangerousGetHandle(), data, (nuint)model.Length, opts);
        }

        var handle = new OrtSessionHandle(session, env);
        try
        {
            return new OnnxSession(handle, cpuMemory);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<FloatTensor> Run(IReadOnlyList<FloatTensorInput> inputs, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inputIndices = new int[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            inputIndices[i] = InputIndex(inputs[i].Name);
            CheckLength(inputs[i].Name, inputs[i].Data.Length, inputs[i].Shape);
        }

        var outputIndices = outputNames is null
            ? Enumerable.Range(0, _outputNames.Length).ToArray()
            : outputNames.Select(OutputIndex).ToArray();

        var pins = new MemoryHandle[inputs.Count];
        var inputNamePtrs = new IntPtr[inputs.Count];
        var inputValues = new IntPtr[inputs.Count];
        var outputNamePtrs = new IntPtr[outputIndices.Length];
        var outputValues = new IntPtr[outputIndices.Length];
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                inputNamePtrs[i] = _handle.NativeInputNames[inputIndices[i]];
                pins[i] = inputs[i].Data.Pin();
                fixed (long* shape = inputs[i].Shape)
                {
                    inputValues[i] = CreateFloatTensor(pins[i].Pointer, inputs[i].Data.Length, shape, inputs[i].Shape.Length);
                }
            }

            for (var i = 0; i < outputIndices.Length; i++)
            {
                outputNamePtrs[i] = _handle.NativeOutputNames[outputIndices[i]];
            }

            fixed (IntPtr* inNames = inputNamePtrs, inValues = inputValues, outNames = outputNamePtrs, outValues = outputValues)
            {
                OrtApi.Run(_handle.DangerousGetHandle(), inNames, inValues, (nuint)inputs.Count, outNames, (nuint)outputIndices.Length, outValues);
            }

            var results = new FloatTensor[outputIndices.Length];
            for (var i = 0; i < outputIndices.Length; i++)
            {
                results[i] = CopyOut(_outputNames[outputIndices[i]], outputValues[i]);
            }

            return results;
        }
        finally
        {
            ReleaseValues(inputValues);
            ReleaseValues(outputValues);
            foreach (var pin in pins)
            {
                pin.Dispose();
            }

            _handle.DangerousRelease();
        }
    }

    /// <inheritdoc />
    public int Run(string inputName, ReadOnlySpan<float> data, ReadOnlySpan<long> shape, string outputName, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inputIndex = InputIndex(inputName);
        var outputIndex = OutputIndex(outputName);
        CheckLength(inputName, data.Length, shape);

        var added = false;
        _handle.DangerousAddRef(ref added);
        var input = IntPtr.Zero;
        var output = IntPtr.Zero;
        try
        {
            var inName = _handle.NativeInputNames[inputIndex];
            var outName = _handle.NativeOutputNames[outputIndex];
            fixed (float* p = data)
            fixed (long* s = shape)
            {
                input = CreateFloatTensor(p, data.Length, s, shape.Length);
                OrtApi.Run(_handle.DangerousGetHandle(), &inName, &input, 1, &outName, 1, &output);
            }

            var info = OrtApi.GetTensorTypeAndShape(output);
            nuint count;
            try
            {
                RequireFloat(outputName, OrtApi.GetTensorElementType(info));
                count = OrtApi.GetTensorShapeElementCount(info);
            }
            finally
            {
                OrtApi.ReleaseTensorTypeAndShapeInfo(info);
            }

            if (count > (nuint)destination.Length)
            {
                throw new ArgumentException(
                    $"Output '{outputName}' has {count} elements but the destination holds {destination.Length}.", nameof(destination));
            }

            new ReadOnlySpan<float>(OrtApi.GetTensorMutableData(output), (int)count).CopyTo(destination);
            return (int)count;
        }
        finally
        {
            if (input != IntPtr.Zero)
            {
                OrtApi.ReleaseValue(input);
            }

            if (output != IntPtr.Zero)
            {
                OrtApi.ReleaseValue(output);
            }

            _handle.DangerousRelease();
        }
    }

    /// <summary>Releases the session once no Run is using it; safe to call twice.</summary>
    public void Dispose()
    {
        _disposed = true;
        _handle.Dispose();
    }

    private IntPtr CreateFloatTensor(void* data, int length, long* shape, int rank) =>
        OrtApi.CreateTensorWithDataAsOrtValue(
            _cpuMemory.DangerousGetHandle(), data, (nuint)length * sizeof(float), shape, (nuint)rank, (int)TensorElementType.Float);

    private int InputIndex(string name)
    {
        var index = Array.IndexOf(_inputNames, name);
        return index >= 0
            ? index
            : throw new ArgumentException(
                $"The model has no input named '{name}'. Its inputs are: {string.Join(", ", _inputNames)}.", nameof(name));
    }

    private int OutputIndex(string name)
    {
        var index = Array.IndexOf(_outputNames, name);
        return index >= 0
            ? index
            : throw new ArgumentException(
                $"The model has no output named '{name}'. Its outputs are: {string.Join(", ", _outputNames)}.", nameof(name));
    }

    private static void CheckLength(string name, int length, ReadOnlySpan<long> shape)
    {
        long expected = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Input '{name}' has a negative dimension in shape [{string.Join(", ", shape.ToArray())}].");
            }

            expected *= dim;
        }

        if (expected != length)
        {
            throw new ArgumentException(
                $"Input '{name}' has {length} values but its shape [{string.Join(", ", shape.ToArray())}] needs {expected}.");
        }
    }

    private static FloatTensor CopyOut(string name, IntPtr value)
    {
        if (!OrtApi.IsTensor(value))
        {
            throw new OnnxRuntimeException($"Output '{name}' is not a tensor.");
        }

        var info = OrtApi.GetTensorTypeAndShape(value);
        try
        {
            RequireFloat(name, OrtApi.GetTensorElementType(info));
            var shape = ReadShape(info);
            var count = (int)OrtApi.GetTensorShapeElementCount(info);
            var data = new ReadOnlySpan<float>(OrtApi.GetTensorMutableData(value), count).ToArray();
            return new FloatTensor(name, data, shape);
        }
        finally
        {
            OrtApi.ReleaseTensorTypeAndShapeInfo(info);
        }
    }

    private static void RequireFloat(string name, int elementType)
    {
        if (elementType != (int)TensorElementType.Float)
        {
            throw new OnnxRuntimeException(
                $"Output '{name}' is {(TensorElementType)elementType}; only float32 outputs can be read.");
        }
    }

    private static long[] ReadShape(IntPtr tensorInfo)
    {
        var rank = OrtApi.GetDimensionsCount(tensorInfo);
        var shape = new long[rank];
        fixed (long* dims = shape)
        {
            OrtApi.GetDimensions(tensorInfo, dims, rank);
        }

        return shape;
    }

    private static void ReleaseValues(IntPtr[] values)
    {
        foreach (var value in values)
        {
            if (value != IntPtr.Zero)
            {
                OrtApi.ReleaseValue(value);
            }
        }
    }

    private static OnnxNodeInfo[] ReadNodes(
        IntPtr session, nuint count, Func<IntPtr, nuint, string> getName, Func<IntPtr, nuint, IntPtr> getTypeInfo)
    {
        var nodes = new OnnxNodeInfo[count];
        for (nuint i = 0; i < count; i++)
        {
            var name = getName(session, i);
            var typeInfo = getTypeInfo(session, i);
            try
            {
                var tensorInfo = OrtApi.CastTypeInfoToTensorInfo(typeInfo);
                nodes[i] = tensorInfo == IntPtr.Zero
                    ? new OnnxNodeInfo(name, false, TensorElementType.Undefined, [])
                    : new OnnxNodeInfo(name, true, (TensorElementType)OrtApi.GetTensorElementType(tensorInfo), ReadShape(tensorInfo));
            }
            finally
            {
                OrtApi.ReleaseTypeInfo(typeInfo);
            }
        }

        return nodes;
    }

    private static OnnxModelMetadata ReadMetadata(IntPtr session)
    {
        var metadata = OrtApi.SessionGetModelMetadata(session);
        try
        {
            var custom = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in OrtApi.ModelMetadataGetCustomMetadataMapKeys(metadata))
            {
                custom[key] = OrtApi.ModelMetadataLookupCustomMetadataMap(metadata, key) ?? string.Empty;
            }

            return new OnnxModelMetadata(OrtApi.ModelMetadataGetProducerName(metadata), custom);
        }
        finally
        {
            OrtApi.ReleaseModelMetadata(metadata);
        }
    }

    private static string[] Names(IReadOnlyList<OnnxNodeInfo> nodes)
    {
        var names = new string[nodes.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = nodes[i].Name;
        }

        return names;
    }

    private static IntPtr[] ToNative(string[] names)
    {
        var native = new IntPtr[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            native[i] = Marshal.StringToCoTaskMemUTF8(names[i]);
        }

        return native;
    }
}
