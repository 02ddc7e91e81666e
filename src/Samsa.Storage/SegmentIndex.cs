using System.Buffers.Binary;
namespace Samsa.Storage;

/// <summary>
/// What the indexes of a segment (<see cref="OffsetIndex"/>, <see cref="TimeIndex"/>) share, as Kafka's AbstractIndex:
/// a memory-mapped file of fixed-size entries (<see cref="MappedIndexFile"/>) whose used entries form a prefix, a
/// capacity from <see cref="LogConfig.MaxIndexSize"/>, trimming when the segment stops being written, and closing.
/// Thread-safe: every operation, in this class and the derived ones, holds <see cref="_lock"/>.
/// </summary>
public abstract class SegmentIndex : IDisposable
{
    private protected readonly Lock _lock = new();
    private protected readonly MappedIndexFile _file;
    private protected readonly int _maxEntries;
    private protected int _entries;
    private protected bool _disposed;

    private protected SegmentIndex(string path, long baseOffset, int entrySize, int maxEntries)
    {
        Path = path;
        BaseOffset = baseOffset;
        _maxEntries = maxEntries;
        _file = new MappedIndexFile(path, entrySize);
        _entries = _file.CountUsedSlots();
    }

    public string Path { get; }

    public long BaseOffset { get; }

    /// <summary>Entries the index can hold.</summary>
    public int MaxEntries => _maxEntries;

    public int EntryCount => Volatile.Read(ref _entries);

    /// <summary>Removes every entry.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            KeepEntries(0);
        }
    }

    /// <summary>
    /// Binary search: the index of the last entry whose key is at or below <paramref name="target"/>, or -1. The key is
    /// the big-endian field at <paramref name="keyOffset"/> in each entry, 8 bytes when <paramref name="longKey"/> else
    /// 4; entries ascend in every field. Caller holds the lock.
    /// </summary>
    private protected int FloorEntry(long target, int keyOffset, bool longKey)
    {
        int low = 0;
        int high = _entries - 1;
        int found = -1;
        while (low <= high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            ReadOnlySpan<byte> key = _file.Slot(mid)[keyOffset..];
            long value = longKey ? BinaryPrimitives.ReadInt64BigEndian(key) : BinaryPrimitives.ReadInt32BigEndian(key);
            if (value <= target)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found;
    }

    /// <summary>Drops the entries from <paramref name="keep"/> on (zeroing their slots). Caller holds the lock.</summary>
    private protected void KeepEntries(int keep)
    {
        if (keep < _entries)
        {
            _file.Clear(keep, _entries);
            Volatile.Write(ref _entries, keep);
        }
    }

    /// <summary>Shrinks the file to its entries (the segment is no longer written). A later append re-expands it.</summary>
    public void TrimToValidSize()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Trim(_entries);
        }
    }

    /// <summary>Writes the mapped entries to disk.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Flush();
        }
    }

    /// <summary>Trims the file to its entries and closes it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _file.Close(_entries);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the index and deletes its file.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(Path);
    }
}
