using System.Runtime.InteropServices;

namespace AiGuard.Onnx.Native;

/// <summary>
/// The entries of ONNX Runtime's <c>OrtApi</c> function table that AiGuard uses. Indices are
/// the positions in onnxruntime_c_api.h (entries are only ever appended, so they are stable);
/// see docs/onnxruntime-c-api.md for the verified list.
/// </summary>
internal static unsafe class OrtApi
{
    // Entries used here end at 123, which exists since API version 3.
    private const uint ApiVersion = 3;

    private static readonly Lock Gate = new();
    // Published once under the lock; volatile so a reader never sees the table before LoadedFrom.
    private static volatile IntPtr s_table;

    /// <summary>The library file the table was loaded from, once loaded.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>ORT's own version string (OrtApiBase.GetVersionString), once loaded.</summary>
    public static string? Version { get; private set; }

    /// <summary>Loads the library once per process; later calls reuse it whatever path they name.</summary>
    public static void EnsureLoaded(string? explicitPath)
    {
        if (s_table != IntPtr.Zero)
        {
            return;
        }

        lock (Gate)
        {
            if (s_table != IntPtr.Zero)
            {
                return;
            }

            var path = OnnxRuntimeLibraryLocator.Resolve(explicitPath);
            IntPtr library;
            try
            {
                library = NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new OnnxRuntimeException($"Cannot load ONNX Runtime from '{path}': {e.Message}", e);
            }

            if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
            {
                throw new OnnxRuntimeException($"'{path}' is not an ONNX Runtime library: it has no OrtGetApiBase export.");
            }

            // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
            var apiBase = ((delegate* unmanaged<IntPtr*>)getApiBase)();
            var getApi = (delegate* unmanaged<uint, IntPtr*>)apiBase[0];
            var table = getApi(ApiVersion);
            if (table == null)
            {
                throw new OnnxRuntimeException($"ONNX Runtime at '{path}' does not provide C API version {ApiVersion}.");
            }

            LoadedFrom = path;
            Version = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)apiBase[1])());
            s_table = (IntPtr)table;
        }
    }

    private static IntPtr Fn(int index) => ((IntPtr*)s_table)[index];

    /// <summary>Turns a non-NULL OrtStatus into an exception; the status is released here.</summary>
    public static void Check(IntPtr status)
    {
        if (status != IntPtr.Zero)
        {
            throw ToException(status);
        }
    }

    private static OnnxRuntimeException ToException(IntPtr status)
    {
        // The message belongs to the status: copy it before releasing.
        var code = ((delegate* unmanaged<IntPtr, int>)Fn(1))(status);
        var message = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr, IntPtr>)Fn(2))(status)) ?? string.Empty;
        ((delegate* unmanaged<IntPtr, void>)Fn(93))(status);
        return new OnnxRuntimeException(code, $"ONNX Runtime error {OrtErrorCodes.Name(code)} ({code}): {message}");
    }

    public static IntPtr CreateEnv(int loggingLevel)
    {
        IntPtr env;
        fixed (byte* logId = "aiguard\0"u8)
        {
            Check(((delegate* unmanaged<int, byte*, IntPtr*, IntPtr>)Fn(3))(loggingLevel, logId, &env));
        }

        return env;
    }

    public static IntPtr CreateSessionFromArray(IntPtr env, byte* data, nuint length, IntPtr options)
    {
        IntPtr session;
        Check(((delegate* unmanaged<IntPtr, byte*, nuint, IntPtr, IntPtr*, IntPtr>)Fn(8))(env, data, length, options, &session));
        return session;
    }

    public static void Run(
        IntPtr session, IntPtr* inputNames, IntPtr* inputs, nuint inputCount, IntPtr* outputNames, nuint outputCount, IntPtr* outputs) =>
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)Fn(9))(
            session, IntPtr.Zero, inputNames, inputs, inputCount, outputNames, outputCount, outputs));

    public static IntPtr CreateSessionOptions()
    {
        IntPtr options;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(10))(&options));
        return options;
    }

    public static void SetSessionGraphOptimizationLevel(IntPtr options, int level) =>
        Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(23))(options, level));

    public static void SetIntraOpNumThreads(IntPtr options, int threads) =>
        Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(24))(options, threads));

    public static void SetInterOpNumThreads(IntPtr options, int threads) =>
        Check(((delegate* unmanaged<IntPtr, int, IntPtr>)Fn(25))(options, threads));

    public static nuint SessionGetInputCount(IntPtr session)
    {
        nuint count;
        Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(30))(session, &count));
        return count;
    }

    public static nuint SessionGetOutputCount(IntPtr session)
    {
        nuint count;
        Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(31))(session, &count));
        return count;
    }

    public static IntPtr SessionGetInputTypeInfo(IntPtr session, nuint index) => GetTypeInfo(33, session, index);

    public static IntPtr SessionGetOutputTypeInfo(IntPtr session, nuint index) => GetTypeInfo(34, session, index);

    private static IntPtr GetTypeInfo(int entry, IntPtr session, nuint index)
    {
        IntPtr info;
        Check(((delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)Fn(entry))(session, index, &info));
        return info;
    }

    public static string SessionGetInputName(IntPtr session, nuint index) => GetName(36, session, index);

    public static string SessionGetOutputName(IntPtr session, nuint index) => GetName(37, session, index);

    private static string GetName(int entry, IntPtr session, nuint index)
    {
        var allocator = GetAllocatorWithDefaultOptions();
        IntPtr name;
        Check(((delegate* unmanaged<IntPtr, nuint, IntPtr, IntPtr*, IntPtr>)Fn(entry))(session, index, allocator, &name));
        return TakeAllocatorString(allocator, name) ?? string.Empty;
    }

    public static IntPtr CreateTensorWithDataAsOrtValue(IntPtr memoryInfo, void* data, nuint bytes, long* shape, nuint rank, int elementType)
    {
        IntPtr value;
        Check(((delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)Fn(49))(
            memoryInfo, data, bytes, shape, rank, elementType, &value));
        return value;
    }

    public static bool IsTensor(IntPtr value)
    {
        int isTensor;
        Check(((delegate* unmanaged<IntPtr, int*, IntPtr>)Fn(50))(value, &isTensor));
        return isTensor != 0;
    }

    public static void* GetTensorMutableData(IntPtr value)
    {
        void* data;
        Check(((delegate* unmanaged<IntPtr, void**, IntPtr>)Fn(51))(value, &data));
        return data;
    }

    /// <summary>Borrowed pointer (NULL for non-tensor types): owned by the type info.</summary>
    public static IntPtr CastTypeInfoToTensorInfo(IntPtr typeInfo)
    {
        IntPtr tensorInfo;
        Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)Fn(55))(typeInfo, &tensorInfo));
        return tensorInfo;
    }

    public static int GetTensorElementType(IntPtr tensorInfo)
    {
        int type;
        Check(((delegate* unmanaged<IntPtr, int*, IntPtr>)Fn(60))(tensorInfo, &type));
        return type;
    }

    public static nuint GetDimensionsCount(IntPtr tensorInfo)
    {
        nuint count;
        Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(61))(tensorInfo, &count));
        return count;
    }

    public static void GetDimensions(IntPtr tensorInfo, long* dims, nuint length) =>
        Check(((delegate* unmanaged<IntPtr, long*, nuint, IntPtr>)Fn(62))(tensorInfo, dims, length));

    public static nuint GetTensorShapeElementCount(IntPtr tensorInfo)
    {
        nuint count;
        Check(((delegate* unmanaged<IntPtr, nuint*, IntPtr>)Fn(64))(tensorInfo, &count));
        return count;
    }

    /// <summary>Owned result: release with <see cref="ReleaseTensorTypeAndShapeInfo"/>.</summary>
    public static IntPtr GetTensorTypeAndShape(IntPtr value)
    {
        IntPtr info;
        Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)Fn(65))(value, &info));
        return info;
    }

    public static IntPtr CreateCpuMemoryInfo()
    {
        IntPtr info;
        // OrtArenaAllocator = 1, OrtMemTypeDefault = 0.
        Check(((delegate* unmanaged<int, int, IntPtr*, IntPtr>)Fn(69))(1, 0, &info));
        return info;
    }

    private static void AllocatorFree(IntPtr allocator, IntPtr p) =>
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr>)Fn(76))(allocator, p));

    /// <summary>The process-wide default allocator: never released.</summary>
    public static IntPtr GetAllocatorWithDefaultOptions()
    {
        IntPtr allocator;
        Check(((delegate* unmanaged<IntPtr*, IntPtr>)Fn(78))(&allocator));
        return allocator;
    }

    public static void ReleaseEnv(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(92))(p);

    public static void ReleaseMemoryInfo(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(94))(p);

    public static void ReleaseSession(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(95))(p);

    public static void ReleaseValue(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(96))(p);

    public static void ReleaseTypeInfo(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(98))(p);

    public static void ReleaseTensorTypeAndShapeInfo(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(99))(p);

    public static void ReleaseSessionOptions(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(100))(p);

    public static IntPtr SessionGetModelMetadata(IntPtr session)
    {
        IntPtr metadata;
        Check(((delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)Fn(111))(session, &metadata));
        return metadata;
    }

    public static string? ModelMetadataGetProducerName(IntPtr metadata)
    {
        var allocator = GetAllocatorWithDefaultOptions();
        IntPtr value;
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr>)Fn(112))(metadata, allocator, &value));
        return TakeAllocatorString(allocator, value);
    }

    /// <summary>NULL from ORT (key absent) comes back as null.</summary>
    public static string? ModelMetadataLookupCustomMetadataMap(IntPtr metadata, string key)
    {
        var allocator = GetAllocatorWithDefaultOptions();
        var keyUtf8 = Marshal.StringToCoTaskMemUTF8(key);
        try
        {
            IntPtr value;
            Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr*, IntPtr>)Fn(116))(metadata, allocator, keyUtf8, &value));
            return TakeAllocatorString(allocator, value);
        }
        finally
        {
            Marshal.FreeCoTaskMem(keyUtf8);
        }
    }

    public static void ReleaseModelMetadata(IntPtr p) => ((delegate* unmanaged<IntPtr, void>)Fn(118))(p);

    public static string[] ModelMetadataGetCustomMetadataMapKeys(IntPtr metadata)
    {
        var allocator = GetAllocatorWithDefaultOptions();
        IntPtr* keys;
        long count;
        Check(((delegate* unmanaged<IntPtr, IntPtr, IntPtr**, long*, IntPtr>)Fn(123))(metadata, allocator, &keys, &count));
        if (keys == null)
        {
            return [];
        }

        // Free every key, then the array itself, even if a copy fails.
        var result = new string[count];
        try
        {
            for (long i = 0; i < count; i++)
            {
                result[i] = Marshal.PtrToStringUTF8(keys[i]) ?? string.Empty;
            }
        }
        finally
        {
            for (long i = 0; i < count; i++)
            {
                AllocatorFree(allocator, keys[i]);
            }

            AllocatorFree(allocator, (IntPtr)keys);
        }

        return result;
    }

    private static string? TakeAllocatorString(IntPtr allocator, IntPtr value)
    {
        if (value == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(value);
        }
        finally
        {
            AllocatorFree(allocator, value);
        }
    }
}
