namespace AiGuard.Onnx.Native;

/// <summary>
/// The one OrtEnv and CPU memory description of the process, created on first use. ORT wants a
/// single env per process; sessions hold a reference on it so it is released after them.
/// </summary>
internal static class OrtEnvironment
{
    // ORT_LOGGING_LEVEL_ERROR: warnings (such as unused initializers) would only be noise.
    private const int LoggingLevelError = 3;

    private static readonly Lock Gate = new();
    private static OrtEnvHandle? s_env;
    private static OrtMemoryInfoHandle? s_cpuMemory;

    public static OrtEnvHandle Env(string? libraryPath)
    {
        EnsureCreated(libraryPath);
        return s_env!;
    }

    public static OrtMemoryInfoHandle CpuMemory(string? libraryPath)
    {
        EnsureCreated(libraryPath);
        return s_cpuMemory!;
    }

    private static void EnsureCreated(string? libraryPath)
    {
        if (s_cpuMemory is not null)
        {
            return;
        }

        lock (Gate)
        {
            if (s_cpuMemory is not null)
            {
                return;
            }

            OrtApi.EnsureLoaded(libraryPath);
            s_env ??= new OrtEnvHandle(OrtApi.CreateEnv(LoggingLevelError));
            s_cpuMemory = new OrtMemoryInfoHandle(OrtApi.CreateCpuMemoryInfo());
        }
    }
}
