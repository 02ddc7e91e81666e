using System.Buffers.Binary;

namespace Samsa.Storage;

/// <summary>
/// The sparse time index of one segment: maps timestamps to offsets, so a lookup by timestamp seeks close to the
/// first batch that can hold it (through the <see cref="OffsetIndex"/>) and scans only a few batch headers.
/// <para>
/// On disk: <c>&lt;baseOffset:D20&gt;.timeindex</c>, a flat array of 12-byte entries, each
/// <c>int64 timestamp</c> then <c>int32 relativeOffset</c> (offset - segment base offset), both big-endian.
/// An entry (T, O) says: T is the largest batch MaxTimestamp among the batches up to the one at offset O, and the
/// batch holding O is the first to reach it, so every batch before it has a MaxTimestamp below T. Timestamps are
/// strictly ascending and above 0 and offsets ascend, so an all-zero entry marks unused space (a timestamp of 0 is
/// never indexed: an entry (0, base) would say no more than an empty index does).
/// </para>
/// <para>
/// The segment adds an entry whenever it adds an offset-index entry and its largest timestamp has grown since the
/// last time-index entry, and a final one when it becomes inactive or closes, so the last entry of a closed segment
/// holds its largest timestamp. The last slot is kept for that final entry: <see cref="IsFull"/> turns true one entry
/// early.
/// </para>
/// <para>
/// The file is memory-mapped. While the segment is active it is preallocated (sparse) to
/// <see cref="LogConfig.MaxIndexSize"/> (at least two entries); when the segment becomes inactive or is closed the
/// file is trimmed to its entries. An untrimmed file found at start-up (after a crash) is read up to its first
/// all-zero entry.
/// </para>
/// Thread-safe: every operation takes an internal lock, so lookups may run while the writer appends,
/// truncates or remaps.
/// </summary>
public sealed class TimeIndex : SegmentIndex
{
    public const int EntrySize = 12;
    public const string FileSuffix = ".timeindex";

    /// <summary>The timestamp of a record or batch that has none (Kafka's NO_TIMESTAMP).</summary>
    public const long NoTimestamp = -1;

    /// <summary>Opens the index at <paramref name="path"/>, creating an empty one if it does not exist.</summary>
    public TimeIndex(string path, long baseOffset, int maxIndexSize)
        : base(path, baseOffset, EntrySize, Math.Max(2, maxIndexSize / EntrySize))
    {
    }

    /// <summary>True when only the slot kept for the final entry is left: the segment must roll.</summary>
    public bool IsFull => EntryCount >= _maxEntries - 1;

    /// <summary>The last entry, or (<see cref="NoTimestamp"/>, BaseOffset) when the index is empty.</summary>
    public TimestampOffset LastEntry
    {
        get
        {
            lock (_lock)
            {
                return _entries == 0 ? new TimestampOffset(NoTimestamp, BaseOffset) : EntryAt(_entries - 1);
            }
        }
    }

    /// <summary>
    /// Adds the entry (<paramref name="timestamp"/>, <paramref name="offset"/>) when the timestamp is above 0 and above
    /// the last entry's, and returns whether it did. The offset must not be below the last entry's. Unless
    /// <paramref name="isFinalEntry"/> (which may take the kept last slot), a full index throws.
    /// </summary>
    public bool MaybeAppend(long timestamp, long offset, bool isFinalEntry = false)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TimestampOffset last = _entries == 0 ? new TimestampOffset(0, BaseOffset) : EntryAt(_entries - 1);
            if (timestamp <= last.Timestamp)
            {
                return false;
            }

            long relative = offset - BaseOffset;
            if (relative < 0 || relative > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), $"Entry ({timestamp}, {offset}) does not fit index {Path}.");
            }

            if (offset < last.Offset)
            {
                throw new InvalidOperationException(
                    $"Entry ({timestamp}, {offset}) is before the last entry ({last.Timestamp}, {last.Offset}) of index {Path}.");
            }

            if (_entries >= (isFinalEntry ? _maxEntries : _maxEntries - 1))
            {
                throw new InvalidOperationException($"Time index {Path} is full ({_entries} entries).");
            }

            _file.EnsureMapped(_maxEntries);
            Span<byte> slot = _file.Slot(_entries);
            BinaryPrimitives.WriteInt64BigEndian(slot, timestamp);
            BinaryPrimitives.WriteInt32BigEndian(slot[8..], (int)relative);
            Volatile.Write(ref _entries, _entries + 1);
            return true;
        }
    }

    /// <summary>
    /// The entry with the largest timestamp at or below <paramref name="targetTimestamp"/>, or
    /// (<see cref="NoTimestamp"/>, BaseOffset) when there is none: a scan for the first batch whose MaxTimestamp
    /// reaches the target may start at the batch holding its offset.
    /// </summary>
    public TimestampOffset Lookup(long targetTimestamp)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int found = FloorEntry(targetTimestamp, keyOffset: 0, longKey: true);
            return found < 0 ? new TimestampOffset(NoTimestamp, BaseOffset) : EntryAt(found);
        }
    }

    /// <summary>Removes every entry whose offset is at or above <paramref name="offset"/>.</summary>
    public void TruncateTo(long offset)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long relative = offset - BaseOffset;
            int keep = _entries;
            while (keep > 0 && RelativeOffsetAt(keep - 1) >= relative)
            {
                keep--;
            }

            KeepEntries(keep);
        }
    }

    /// <summary>
    /// True when the entries are plausible for a segment whose batches end before <paramref name="nextOffset"/>:
    /// timestamps above 0 and ascending, offsets ascending and inside the segment. A false result means the index must
    /// be rebuilt from the log.
    /// </summary>
    public bool IsConsistentWith(long nextOffset)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long previousTimestamp = 0;
            long previousOffset = BaseOffset;
            for (int i = 0; i < _entries; i++)
            {
                TimestampOffset entry = EntryAt(i);
                if (entry.Timestamp <= previousTimestamp || entry.Offset < previousOffset || entry.Offset >= nextOffset)
                {
                    return false;
                }

                previousTimestamp = entry.Timestamp;
                previousOffset = entry.Offset;
            }

            return true;
        }
    }

    private long TimestampAt(int index) => BinaryPrimitives.ReadInt64BigEndian(_file.Slot(index));

    private int RelativeOffsetAt(int index) => BinaryPrimitives.ReadInt32BigEndian(_file.Slot(index)[8..]);

    private TimestampOffset EntryAt(int index) => new(TimestampAt(index), BaseOffset + RelativeOffsetAt(index));
}
