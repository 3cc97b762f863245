namespace AiGuard.Anomaly;

/// <summary>
/// Reads a file a setting names (a model, its manifest, a tensor reference): a non-empty file of
/// at most <see cref="MaxBytes"/>, read to the length the file system reports. A device, a pipe or
/// a <c>/proc</c> file named by mistake (or by a proposed configuration) reports no length and is
/// refused, instead of being read forever or blocking the caller.
/// </summary>
public static class ModelFile
{
    /// <summary>The largest file read: far above the shipped models (tens of KB) and references.</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    /// <exception cref="IOException">The file is missing, empty, not a regular file, too large, or unreadable.</exception>
    /// <exception cref="UnauthorizedAccessException">The gateway may not read it.</exception>
    public static byte[] ReadAll(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        }

        if (info.Length == 0)
        {
            throw new IOException($"'{path}' is empty or not a regular file.");
        }

        if (info.Length > MaxBytes)
        {
            throw new IOException($"'{path}' is larger than {MaxBytes / (1024 * 1024)} MiB.");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var bytes = new byte[info.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
