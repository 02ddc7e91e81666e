using System.Buffers.Binary;

namespace Samsa.Storage;

/// <summary>
/// The sparse offset index of one segment: maps offsets to the file positions of batches in the segment's
/// <c>.log</c>, so a read seeks close to its target and scans only a few batch headers.
/// <para>
/// On disk: <c>&lt;baseOffset:D20&gt;.index</c>, a flat array of 8-byte entries, each
/// <c>int32 relativeOffset</c> (offset - segment base offset) then <c>int32 position</c>, both big-endian.
/// An entry points at the first byte of a batch whose BaseOffset is <c>base + relativeOffset</c>. Entries are
/// strictly ascending in both fields, and every entry has a position above 0 (the batch at position 0 is never
/// indexed), so an all-zero entry marks unused space.
/// </para>
/// <para>
/// The file is memory-mapped. While the segment is active it is preallocated (sparse) to
/// <see cref="LogConfig.MaxIndexSize"/>; when the segment becomes inactive or is closed the file is trimmed to
/// its entries. An untrimmed file found at start-up (after a crash) is read up to its first all-zero entry.
/// </para>
/// Thread-safe: every operation takes an internal lock, so lookups may run while the writer appends,
/// truncates or remaps.
/// </summary>
public sealed class OffsetIndex : SegmentIndex
{
    public const int EntrySize = 8;
    public const string FileSuffix = ".index";

    /// <summary>Opens the index at <paramref name="path"/>, creating an empty one if it does not exist.</summary>
    public OffsetIndex(string path, long baseOffset, int maxIndexSize)
        : base(path, baseOffset, EntrySize, Math.Max(1, maxIndexSize / EntrySize))
    {
    }

    public bool IsFull => EntryCount >= _maxEntries;

    /// <summary>The last entry, or (BaseOffset, 0) when the index is empty.</summary>
    public OffsetPosition LastEntry
    {
        get
        {
            lock (_lock)
            {
                return _entries == 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(_entries - 1);
            }
        }
    }

    /// <summary>
    /// Adds an entry for the batch that starts at <paramref name="position"/> with BaseOffset <paramref name="offset"/>.
    /// Both must be greater than the last entry's.
    /// </summary>
    public void Append(long offset, int position)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries >= _maxEntries)
            {
                throw new InvalidOperationException($"Offset index {Path} is full ({_entries} entries).");
            }

            long relative = offset - BaseOffset;
            if (relative < 0 || relative > int.MaxValue || position <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), $"Entry ({offset}, {position}) does not fit index {Path}.");
            }

            if (_entries > 0)
            {
                OffsetPosition last = EntryAt(_entries - 1);
                if (offset <= last.Offset || position <= last.Position)
                {
                    throw new InvalidOperationException(
                        $"Entry ({offset}, {position}) is not after the last entry ({last.Offset}, {last.Position}) of index {Path}.");
                }
            }

            _file.EnsureMapped(_maxEntries);
            Span<byte> slot = _file.Slot(_entries);
            BinaryPrimitives.WriteInt32BigEndian(slot, (int)relative);
            BinaryPrimitives.WriteInt32BigEndian(slot[4..], position);
            Volatile.Write(ref _entries, _entries + 1);
        }
    }

    /// <summary>The entry with the largest offset at or below <paramref name="targetOffset"/>, or (BaseOffset, 0).</summary>
    public OffsetPosition Lookup(long targetOffset)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int index = FloorByOffset(targetOffset);
            return index < 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(index);
        }
    }

    /// <summary>The entry with the largest position at or below <paramref name="position"/>, or (BaseOffset, 0).</summary>
    public OffsetPosition LookupByPosition(long position)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int found = FloorEntry(position, keyOffset: 4, longKey: false);
            return found < 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(found);
        }
    }

    /// <summary>Removes every entry whose offset is at or above <paramref name="offset"/>.</summary>
    public void TruncateTo(long offset)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            KeepEntries(offset <= BaseOffset ? 0 : FloorByOffset(offset - 1) + 1);
        }
    }

    /// <summary>
    /// True when the entries are plausible for a log of <paramref name="logSize"/> bytes: ascending, with positions
    /// inside the log. A false result means the index must be rebuilt from the log.
    /// </summary>
    public bool IsConsistentWith(long logSize)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long previousOffset = BaseOffset;
            int previousPosition = 0;
            for (int i = 0; i < _entries; i++)
            {
                OffsetPosition entry = EntryAt(i);
                if (entry.Offset <= previousOffset || entry.Position <= previousPosition || entry.Position >= logSize)
                {
                    return false;
                }

                previousOffset = entry.Offset;
                previousPosition = entry.Position;
            }

            return true;
        }
    }

    private int FloorByOffset(long targetOffset) => FloorEntry(targetOffset - BaseOffset, keyOffset: 0, longKey: false);

    private int RelativeOffsetAt(int index) => BinaryPrimitives.ReadInt32BigEndian(_file.Slot(index));

    private int PositionAt(int index) => BinaryPrimitives.ReadInt32BigEndian(_file.Slot(index)[4..]);

    private OffsetPosition EntryAt(int index) => new(BaseOffset + RelativeOffsetAt(index), PositionAt(index));
}
