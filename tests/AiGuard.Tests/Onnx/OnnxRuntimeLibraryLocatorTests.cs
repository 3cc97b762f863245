using AiGuard.Onnx;
using AiGuard.Onnx.Native;

namespace AiGuard.Tests.Onnx;

public class OnnxRuntimeLibraryLocatorTests
{
    private static readonly Dictionary<string, string?> Home = new() { ["HOME"] = "/home/op" };

    [Fact]
    public void Explicit_path_wins_over_the_environment_variable_and_the_cache()
    {
        var env = With(("AIGUARD_ONNXRUNTIME_PATH", "/env/libonnxruntime.so"));

        var path = OnnxRuntimeLibraryLocator.Resolve("/explicit/lib.so", Lookup(env), _ => true);

        Assert.Equal("/explicit/lib.so", path);
    }

    [Fact]
    public void Environment_variable_wins_over_the_cache()
    {
        var env = With(("AIGUARD_ONNXRUNTIME_PATH", "/env/libonnxruntime.so"));

        Assert.Equal("/env/libonnxruntime.so", OnnxRuntimeLibraryLocator.Resolve(null, Lookup(env), _ => true));
    }

    [Fact]
    public void Cache_path_follows_AIGUARD_CACHE_DIR_then_XDG_CACHE_HOME_then_HOME()
    {
        Assert.Equal(
            "/c/onnxruntime/1.30.0/libonnxruntime.so.1",
            OnnxRuntimeLibraryLocator.CachePath(Lookup(With(("AIGUARD_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x")))));
        Assert.Equal(
            "/x/aiguard/onnxruntime/1.30.0/libonnxruntime.so.1",
            OnnxRuntimeLibraryLocator.CachePath(Lookup(With(("XDG_CACHE_HOME", "/x")))));
        Assert.Equal(
            "/home/op/.cache/aiguard/onnxruntime/1.30.0/libonnxruntime.so.1",
            OnnxRuntimeLibraryLocator.CachePath(Lookup(Home)));
    }

    [Fact]
    public void Missing_library_error_says_where_it_looked_and_how_to_fix_it()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxRuntimeLibraryLocator.Resolve(null, Lookup(Home), _ => false));

        Assert.Contains("/home/op/.cache/aiguard/onnxruntime/1.30.0/libonnxruntime.so.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("AIGUARD_ONNXRUNTIME_PATH", error.Message, StringComparison.Ordinal);
        Assert.Contains("build/fetch-onnxruntime.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_path_that_does_not_exist_is_an_error_not_a_silent_fallback()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxRuntimeLibraryLocator.Resolve("/opt/ort/missing.so", Lookup(Home), p => p.Contains(".cache", StringComparison.Ordinal)));

        Assert.Contains("/opt/ort/missing.so", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> With(params (string Key, string Value)[] pairs)
    {
        var env = new Dictionary<string, string?>(Home);
        foreach (var (key, value) in pairs)
        {
            env[key] = value;
        }

        return env;
    }

    private static Func<string, string?> Lookup(Dictionary<string, string?> env) => key => env.GetValueOrDefault(key);
}
