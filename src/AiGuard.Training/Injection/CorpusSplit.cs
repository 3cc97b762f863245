using System.Security.Cryptography;
using System.Text;

namespace AiGuard.Training.Injection;

/// <summary>
/// The deterministic split of every source into a tuning part (training and threshold, about
/// 60%) and a report part (about 40%) that nothing is fitted on: by a stable hash of the
/// source and the row's family key (its normalized text, or its template/attack for sources whose
/// rows come in families), so related rows fall on the same side.
/// </summary>
public static class CorpusSplit
{
    /// <summary>Share of families in the tuning part, in percent.</summary>
    public const int TunePercent = 60;

    public static bool IsTune(PromptSample sample) => Bucket(sample.Source, sample.Family, 100) < TunePercent;

    /// <summary>The cross-validation fold (0..<paramref name="folds"/>-1) of a tuning row, by family.</summary>
    public static int Fold(PromptSample sample, int folds) => Bucket("fold:" + sample.Source, sample.Family, folds);

    private static int Bucket(string source, string family, int buckets)
    {
        var key = source + "\n" + string.Join(' ', family.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return (int)(BitConverter.ToUInt32(hash) % (uint)buckets);
    }
}
