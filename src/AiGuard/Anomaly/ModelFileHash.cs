using System.Security.Cryptography;

namespace AiGuard.Anomaly;

/// <summary>SHA-256 of a model file as lowercase hex, and the pin comparison.</summary>
public static class ModelFileHash
{
    public static string Compute(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Throws naming both hashes unless <paramref name="actual"/> equals the pin.</summary>
    public static void VerifyPin(string path, string actual, string pinned)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        var expected = pinned.Trim();
        if (expected.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            expected = expected["sha256:".Length..];
        }

        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new AnomalyModelException(
                $"Refusing to load anomaly model '{path}': its SHA-256 is {actual}, but the pinned SHA-256 " +
                $"({AnomalyModelOptions.SectionName}:Sha256) is {expected}. If this model is the one you mean to deploy, update the pin.");
        }
    }
}
