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
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        }

        // A FIFO blocks an open for reading until a writer comes: only open what has a length.
        if (new FileInfo(path).Length == 0)
        {
            throw new IOException($"'{path}' is empty or not a regular file.");
        }

        // The length that counts is the open file's (a ConfigMap update can swap the path meanwhile).
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (length == 0)
        {
            throw new IOException($"'{path}' is empty or not a regular file.");
        }

        if (length > MaxBytes)
        {
            throw new IOException($"'{path}' is larger than {MaxBytes / (1024 * 1024)} MiB.");
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                throw new IOException($"'{path}' ended before its {length} bytes were read.");
            }

            read += n;
        }

        return bytes;
    }
}
