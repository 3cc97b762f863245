namespace AiGuard.Onnx.Native;

/// <summary>Decides which ONNX Runtime library file to load, in a documented order.</summary>
public static class OnnxRuntimeLibraryLocator
{
    /// <summary>Environment variable that points at an ONNX Runtime library elsewhere.</summary>
    public const string PathEnvironmentVariable = "AIGUARD_ONNXRUNTIME_PATH";

    /// <summary>The ONNX Runtime version that build/fetch-onnxruntime.sh caches.</summary>
    public const string RuntimeVersion = "1.30.0";

    /// <summary>The path build/fetch-onnxruntime.sh writes the library to.</summary>
    public static string DefaultCachePath() => CachePath(Environment.GetEnvironmentVariable);

    /// <summary>
    /// Explicit path, then <see cref="PathEnvironmentVariable"/>, then the cache. A path the
    /// operator set explicitly must exist: silently loading some other library instead would
    /// hide a configuration mistake.
    /// </summary>
    public static string Resolve(string? explicitPath) =>
        Resolve(explicitPath, Environment.GetEnvironmentVariable, File.Exists);

    internal static string Resolve(string? explicitPath, Func<string, string?> env, Func<string, bool> exists)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return exists(explicitPath)
                ? explicitPath
                : throw NotFound($"the configured ONNX Runtime path '{explicitPath}' does not exist");
        }

        var fromEnv = env(PathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return exists(fromEnv)
                ? fromEnv
                : throw NotFound($"{PathEnvironmentVariable}='{fromEnv}' does not exist");
        }

        var cached = CachePath(env);
        return exists(cached)
            ? cached
            : throw NotFound(
                $"no ONNX Runtime library found: no path configured, {PathEnvironmentVariable} is not set, " +
                $"and the cache file '{cached}' does not exist");
    }

    internal static string CachePath(Func<string, string?> env)
    {
        var root = env("AIGUARD_CACHE_DIR");
        if (string.IsNullOrEmpty(root))
        {
            var xdg = env("XDG_CACHE_HOME");
            var home = env("HOME");
            if (string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            root = Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".cache") : xdg, "aiguard");
        }

        return Path.Combine(root, "onnxruntime", RuntimeVersion, "libonnxruntime.so.1");
    }

    private static OnnxRuntimeException NotFound(string what) => new(
        $"Cannot load ONNX Runtime: {what}. Fix: run build/fetch-onnxruntime.sh (it caches ONNX Runtime " +
        $"{RuntimeVersion} from npm), or set {PathEnvironmentVariable} (or the OnnxRuntimePath option) " +
        "to an existing ONNX Runtime library file.");
}
