using System.Runtime.InteropServices;

namespace AiGuard.Onnx.Native;

/// <summary>An ONNX Runtime object released exactly once by its ORT Release function.</summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(IntPtr handle)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;
}

/// <summary>The process-wide OrtEnv.</summary>
internal sealed class OrtEnvHandle(IntPtr handle) : OrtHandle(handle)
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseEnv(handle);
        return true;
    }
}

/// <summary>An OrtMemoryInfo describing CPU memory.</summary>
internal sealed class OrtMemoryInfoHandle(IntPtr handle) : OrtHandle(handle)
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary>An OrtSessionOptions, only needed until the session exists.</summary>
internal sealed class OrtSessionOptionsHandle(IntPtr handle) : OrtHandle(handle)
{
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSessionOptions(handle);
        return true;
    }
}

/// <summary>
/// An OrtSession plus the UTF-8 copies of its input/output names that Run needs. Both go in one
/// release so a Dispose racing a Run (which holds a reference) never frees what Run still uses;
/// the session also keeps the environment alive so the env is always released last.
/// </summary>
internal sealed class OrtSessionHandle : OrtHandle
{
    private readonly OrtEnvHandle _env;

    public IntPtr[] NativeInputNames { get; set; } = [];

    public IntPtr[] NativeOutputNames { get; set; } = [];

    public OrtSessionHandle(IntPtr handle, OrtEnvHandle env)
        : base(handle)
    {
        var added = false;
        env.DangerousAddRef(ref added);
        _env = env;
    }

    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSession(handle);
        FreeAll(NativeInputNames);
        FreeAll(NativeOutputNames);
        _env.DangerousRelease();
        return true;
    }

    private static void FreeAll(IntPtr[] strings)
    {
        foreach (var s in strings)
        {
            Marshal.FreeCoTaskMem(s);
        }
    }
}
