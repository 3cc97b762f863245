using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AiGuard.Inspection.Text;

/// <summary>The settings every <see cref="ClientTextCache{TValue}"/> shares.</summary>
public static class ClientTextCache
{
    /// <summary>Slots by default: the slot array takes 32 KB; each entry is a 16-byte key and its result (a verdict, or at most 64 entity spans).</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>Texts shorter than this are inspected every time.</summary>
    public const int MinChars = 256;

    /// <summary>Whether a text of this length is cached at all.</summary>
    public static bool Caches(int length) => length >= MinChars;

    /// <summary>The HMAC key, drawn at start; every cache of the process uses it (their entries are apart anyway).</summary>
    private static readonly byte[] HashKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>One HMAC state per thread, reset after each hash.</summary>
    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    /// <summary>
    /// The last few texts this thread hashed, by reference: the guards of one request look up the
    /// same message strings in their own caches one after another, and each text is hashed once.
    /// </summary>
    [ThreadStatic]
    private static Recent[]? t_recent;

    [ThreadStatic]
    private static int t_next;

    [ThreadStatic]
    private static long t_computed;

    /// <summary>Texts up to this long are remembered by reference; a longer one is hashed again each time, so a thread never keeps a large text alive.</summary>
    private const int RecentMaxChars = 64 * 1024;

    /// <summary>Keyed hashes this thread has computed (a text looked up again by reference on the same thread is not hashed again).</summary>
    internal static long HashesComputedOnThisThread => t_computed;

    /// <summary>
    /// HMAC-SHA256 of the tenant, the client (each after its length) and the text, as UTF-16,
    /// truncated to 128 bits; the strings are fed to the hash where they are (no copy of the text
    /// is made, so none is left in pooled memory).
    /// </summary>
    internal static Key Hash(string tenant, string client, string text)
    {
        var recent = t_recent ??= new Recent[4];
        foreach (var entry in recent)
        {
            // The same string objects (strings are immutable): the same hash.
            if (ReferenceEquals(entry.Text, text) && ReferenceEquals(entry.Client, client) && ReferenceEquals(entry.Tenant, tenant))
            {
                return entry.Key;
            }
        }

        var hmac = t_hmac ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, HashKey);
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(length, tenant.Length);
        hmac.AppendData(length);
        hmac.AppendData(MemoryMarshal.AsBytes(tenant.AsSpan()));
        BinaryPrimitives.WriteInt32LittleEndian(length, client.Length);
        hmac.AppendData(length);
        hmac.AppendData(MemoryMarshal.AsBytes(client.AsSpan()));
        hmac.AppendData(MemoryMarshal.AsBytes(text.AsSpan()));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(mac);
        var key = new Key(BinaryPrimitives.ReadUInt64LittleEndian(mac), BinaryPrimitives.ReadUInt64LittleEndian(mac[8..]));
        t_computed++;
        if (text.Length <= RecentMaxChars)
        {
            recent[t_next] = new Recent(tenant, client, text, key);
            t_next = (t_next + 1) % recent.Length;
        }

        return key;
    }

    /// <summary>A text's 128-bit keyed hash.</summary>
    public readonly record struct Key(ulong A, ulong B);

    private readonly record struct Recent(string Tenant, string Client, string Text, Key Key);
}

/// <summary>
/// Remembers what a guard found in the long texts a client has sent before, so a conversation
/// that is resent whole on every turn (earlier user messages, tool results, retrieved
/// documents) is inspected once per text, not once per turn: the prompt-injection verdict, the
/// personal data and secrets found (types and positions).
/// </summary>
/// <remarks>
/// <para>
/// An entry is a 128-bit keyed hash (HMAC-SHA256 under a key drawn at start, truncated) of the
/// client's tenant and id and the text, and the guard's result: no text is kept, and a text
/// cannot be made to reuse another's result without that key. The client is part of the hash,
/// so one client's texts never answer for another's: a hit is faster than a miss, and a shared
/// cache would let a client learn by timing whether someone else sent a given document.
/// </para>
/// <para>
/// Bounded: <see cref="Capacity"/> slots, each text's slot chosen by its hash, a newer entry
/// replacing an older one in its slot. The slots are shared by the cache's clients (only the
/// keys are per client): a busy client can push others' entries out, and a client can tell its
/// own hits from misses, but never which texts another sent. Lock-free: a slot holds an immutable entry that is
/// replaced whole. Only texts of at least <see cref="ClientTextCache.MinChars"/> characters are cached; shorter
/// ones cost little more to inspect than to hash. Results must be immutable (or copied on use).
/// </para>
/// </remarks>
public sealed class ClientTextCache<TValue>
{
    private readonly Entry?[] _slots;
    private readonly int _mask;
    private readonly TextCacheCounters? _counters;
    private long _hits;
    private long _misses;

    /// <param name="capacity">Slots (rounded up to a power of two).</param>
    /// <param name="counters">The process-wide counts (for the metrics) this cache's lookups add to as well.</param>
    public ClientTextCache(int capacity = ClientTextCache.DefaultCapacity, TextCacheCounters? counters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _counters = counters;
        var size = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)capacity), 1u << 24);
        _slots = new Entry?[size];
        _mask = size - 1;
    }

    /// <summary>Slots (the capacity asked, rounded up to a power of two).</summary>
    public int Capacity => _slots.Length;

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups of cacheable texts that were not in the cache.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The result remembered for this client's text; on a miss, the key to <see cref="Add"/> the result under once it is computed.</summary>
    public bool TryGet(string tenant, string client, string text, out TValue value, out ClientTextCache.Key key)
    {
        key = ClientTextCache.Hash(tenant, client, text);
        if (Volatile.Read(ref _slots[Slot(key)]) is { } entry && entry.Key == key)
        {
            Interlocked.Increment(ref _hits);
            _counters?.Hit();
            value = entry.Value;
            return true;
        }

        Interlocked.Increment(ref _misses);
        _counters?.Miss();
        value = default!;
        return false;
    }

    /// <summary>Remembers a result under a key <see cref="TryGet"/> gave, replacing whatever held its slot.</summary>
    public void Add(ClientTextCache.Key key, TValue value) => Volatile.Write(ref _slots[Slot(key)], new Entry(key, value));

    private int Slot(ClientTextCache.Key key) => (int)(key.A & (ulong)_mask);

    private sealed record Entry(ClientTextCache.Key Key, TValue Value);
}
