using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Samsa.Storage;

/// <summary>
/// The cleaner's dedupe map: key -> the latest offset seen for it, in a fixed amount of memory (Kafka's
/// SkimpyOffsetMap). Keys are not stored: each slot holds a 16-byte digest of the key (the first half of its SHA-256)
/// and the offset, so a key costs <see cref="SlotSize"/> bytes whatever its length; two keys whose digests collide
/// would share a slot, which at 128 bits does not happen in practice. Open addressing with linear probing over one
/// array allocated on first use; <see cref="MaxEntries"/> (a load factor of the slots) is the most keys a pass puts in.
/// <para>Slot layout: 16 bytes digest, then int64 (offset + 1) little-endian; 0 marks an empty slot.</para>
/// Not thread-safe: each cleaner thread owns one.
/// </summary>
internal sealed class OffsetMap
{
    public const int HashSize = 16;
    public const int SlotSize = HashSize + 8;

    private readonly int _slotCount;
    private byte[]? _slots;
    private int _count;

    public OffsetMap(long memoryBytes, double loadFactor)
    {
        long slots = Math.Min(memoryBytes, Array.MaxLength) / SlotSize;
        if (slots < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(memoryBytes), $"{memoryBytes} bytes hold fewer than two slots.");
        }

        _slotCount = (int)slots;
        MaxEntries = (int)Math.Clamp((long)(slots * loadFactor), 1, slots - 1);
    }

    /// <summary>The most keys a pass may put in.</summary>
    public int MaxEntries { get; }

    /// <summary>Distinct keys in the map.</summary>
    public int Count => _count;

    /// <summary>The last offset put, or -1 when empty.</summary>
    public long LatestOffset { get; private set; } = -1;

    /// <summary>Empties the map (the memory is kept).</summary>
    public void Clear()
    {
        if (_count > 0 && _slots is not null)
        {
            Array.Clear(_slots);
        }

        _count = 0;
        LatestOffset = -1;
    }

    /// <summary>Records <paramref name="offset"/> as the latest offset of <paramref name="key"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _slots ??= new byte[(long)_slotCount * SlotSize];
        Span<byte> digest = stackalloc byte[HashSize];
        Hash(key, digest);
        int slot = FindSlot(digest, out bool found);
        Span<byte> entry = _slots.AsSpan(slot * SlotSize, SlotSize);
        if (!found)
        {
            if (_count >= _slotCount - 1)
            {
                throw new InvalidOperationException("The offset map is full.");
            }

            digest.CopyTo(entry);
            _count++;
        }

        BinaryPrimitives.WriteInt64LittleEndian(entry[HashSize..], offset + 1);
        LatestOffset = offset;
    }

    /// <summary>The latest offset put for <paramref name="key"/>, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        if (_count == 0 || _slots is null)
        {
            return -1;
        }

        Span<byte> digest = stackalloc byte[HashSize];
        Hash(key, digest);
        int slot = FindSlot(digest, out bool found);
        return found ? BinaryPrimitives.ReadInt64LittleEndian(_slots.AsSpan(slot * SlotSize + HashSize, 8)) - 1 : -1;
    }

    /// <summary>The slot holding <paramref name="digest"/>, or the empty slot where it would go.</summary>
    private int FindSlot(ReadOnlySpan<byte> digest, out bool found)
    {
        byte[] slots = _slots!;
        int slot = (int)(BinaryPrimitives.ReadUInt64LittleEndian(digest) % (ulong)_slotCount);
        while (true)
        {
            ReadOnlySpan<byte> entry = slots.AsSpan(slot * SlotSize, SlotSize);
            if (BinaryPrimitives.ReadInt64LittleEndian(entry[HashSize..]) == 0)
            {
                found = false;
                return slot;
            }

            if (entry[..HashSize].SequenceEqual(digest))
            {
                found = true;
                return slot;
            }

            slot = slot + 1 == _slotCount ? 0 : slot + 1;
        }
    }

    private static void Hash(ReadOnlySpan<byte> key, Span<byte> digest)
    {
        Span<byte> full = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(key, full);
        full[..HashSize].CopyTo(digest);
    }
}
