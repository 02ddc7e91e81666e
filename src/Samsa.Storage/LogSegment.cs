using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// One segment of a partition log: a <c>.log</c> file of record batches, its <see cref="OffsetIndex"/> and its
/// <see cref="TimeIndex"/>.
/// <para>
/// On disk: <c>&lt;baseOffset:D20&gt;.log</c> (the base offset, zero-padded to 20 digits, is the first offset the
/// segment may hold) contains record batches v2 back to back, byte for byte as the producer sent them except for
/// BaseOffset and PartitionLeaderEpoch, which the broker stamps (both outside the CRC). There is no segment header
/// or footer: the file ends after the last whole batch. Offsets ascend strictly from batch to batch and every
/// offset in the segment is below <c>BaseOffset + 2^31</c> so the index can store it relative to the base.
/// Next to it, <c>&lt;baseOffset:D20&gt;.index</c> (see <see cref="OffsetIndex"/>) and
/// <c>&lt;baseOffset:D20&gt;.timeindex</c> (see <see cref="TimeIndex"/>). The segment tracks the largest batch
/// MaxTimestamp it holds and the first batch that reached it (Kafka's maxTimestampSoFar and
/// offsetOfMaxTimestampSoFar); the batch header's MaxTimestamp is right for both timestamp types, since for
/// LogAppendTime the broker stamps it.
/// </para>
/// <para>
/// Thread-safety: one writer at a time (<see cref="Append"/>, <see cref="Recover"/>, <see cref="TruncateTo"/>;
/// the owning <see cref="PartitionLog"/> serializes them). <see cref="Read"/> may run concurrently with the writer:
/// the writer publishes <see cref="Size"/> only after the bytes are written, and readers never look past it.
/// <see cref="FindOffsetByTimestamp"/> is a reader too. <see cref="MaxTimestamp"/> and
/// <see cref="OffsetOfMaxTimestamp"/> are each published atomically after <see cref="Size"/>; a reader without the
/// writer's lock may see them from consecutive appends.
/// </para>
/// </summary>
public sealed class LogSegment : IDisposable
{
    public const string LogFileSuffix = ".log";

    /// <summary>The header bytes a scan reads per batch: BaseOffset through LastOffsetDelta.</summary>
    private const int ScanHeaderSize = RecordBatchHeader.LastOffsetDeltaOffset + 4;

    private const int RecoveryBufferSize = 1 << 20;

    /// <summary>Marks <see cref="_firstBatchTimestamp"/> as not read yet.</summary>
    private const long UnknownTimestamp = long.MinValue;

    private readonly LogConfig _config;
    private readonly SafeFileHandle _handle;
    private readonly OffsetIndex _index;
    private readonly TimeIndex _timeIndex;
    private readonly TransactionIndex _txnIndex;
    private long _size;
    private long _maxTimestamp = TimeIndex.NoTimestamp;
    private long _offsetOfMaxTimestamp = -1;
    private long _firstBatchTimestamp = UnknownTimestamp;
    private long _nextOffset;
    private int _bytesSinceLastIndexEntry;
    private int _disposed;

    private LogSegment(string logPath, long baseOffset, LogConfig config, SafeFileHandle handle, OffsetIndex index, TimeIndex timeIndex,
        TransactionIndex txnIndex)
    {
        LogPath = logPath;
        BaseOffset = baseOffset;
        _config = config;
        _handle = handle;
        _index = index;
        _timeIndex = timeIndex;
        _txnIndex = txnIndex;
        _size = RandomAccess.GetLength(handle);
        _nextOffset = _size == 0 ? baseOffset : -1;
        if (_size > 0 && timeIndex.EntryCount > 0)
        {
            // A closed segment's last time-index entry holds its largest timestamp; loading or recovery refines it.
            TimestampOffset last = timeIndex.LastEntry;
            _maxTimestamp = last.Timestamp;
            _offsetOfMaxTimestamp = last.Offset;
        }
    }

    /// <summary>The first offset this segment may hold; also its file name.</summary>
    public long BaseOffset { get; }

    public string LogPath { get; }

    public OffsetIndex Index => _index;

    public TimeIndex TimeIndex => _timeIndex;

    /// <summary>The transactions aborted by markers in this segment (<c>.txnindex</c>).</summary>
    public TransactionIndex TxnIndex => _txnIndex;

    /// <summary>The largest batch MaxTimestamp in the segment; -1 (<see cref="TimeIndex.NoTimestamp"/>) when empty.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>The BaseOffset of the first batch whose MaxTimestamp is <see cref="MaxTimestamp"/>; -1 when empty.</summary>
    public long OffsetOfMaxTimestamp => Volatile.Read(ref _offsetOfMaxTimestamp);

    /// <summary>
    /// The MaxTimestamp of the segment's first batch (what a roll by <see cref="LogConfig.SegmentMs"/> counts from),
    /// or -1 when the segment is empty or the batch has none. Read once from the file; for the writer only.
    /// </summary>
    internal long FirstBatchTimestamp
    {
        get
        {
            if (_firstBatchTimestamp == UnknownTimestamp)
            {
                long size = Size;
                _firstBatchTimestamp = size == 0 ? TimeIndex.NoTimestamp : ReadHeader(0, size).MaxTimestamp;
            }

            return _firstBatchTimestamp;
        }
    }

    /// <summary>The <c>.log</c> file, for positional reads and sendfile.</summary>
    public SafeFileHandle Handle => _handle;

    /// <summary>Bytes of whole batches in the file; published after each append.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>The offset after the last batch (BaseOffset when empty). Computed on first use for a segment loaded from disk.</summary>
    internal long NextOffset
    {
        get
        {
            if (_nextOffset < 0)
            {
                _nextOffset = ScanNextOffset(Size);
            }

            return _nextOffset;
        }
    }

    /// <summary>The file name for a segment file: the base offset as 20 digits plus <paramref name="suffix"/>.</summary>
    public static string FileName(long baseOffset, string suffix) =>
        baseOffset.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    /// <summary>Parses <c>&lt;20 digits&gt;&lt;suffix&gt;</c>.</summary>
    public static bool TryParseFileName(string fileName, string suffix, out long baseOffset)
    {
        baseOffset = 0;
        if (fileName.Length != 20 + suffix.Length || !fileName.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> digits = fileName.AsSpan(0, 20);
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Creates an empty segment, replacing any files of the same name.</summary>
    public static LogSegment Create(string directory, long baseOffset, LogConfig config)
    {
        File.Delete(Path.Combine(directory, FileName(baseOffset, OffsetIndex.FileSuffix)));
        File.Delete(Path.Combine(directory, FileName(baseOffset, TimeIndex.FileSuffix)));
        File.Delete(Path.Combine(directory, FileName(baseOffset, TransactionIndex.FileSuffix)));
        return OpenFiles(directory, baseOffset, config, FileMode.Create);
    }

    /// <summary>
    /// Opens an existing segment as found on disk, without checking its contents: call <see cref="Recover"/>
    /// when it may have a torn tail.
    /// </summary>
    public static LogSegment Open(string directory, long baseOffset, LogConfig config) =>
        OpenFiles(directory, baseOffset, config, FileMode.Open);

    /// <summary>
    /// Appends whole batches holding offsets <paramref name="firstOffset"/>..<paramref name="lastOffset"/>
    /// (their BaseOffsets already stamped), reading their largest MaxTimestamp from the headers. See the other overload.
    /// </summary>
    public void Append(long firstOffset, long lastOffset, ReadOnlySpan<byte> batches)
    {
        long largestTimestamp = TimeIndex.NoTimestamp;
        long offsetOfLargestTimestamp = -1;
        ReadOnlySpan<byte> rest = batches;
        while (RecordBatchHeader.TryRead(rest, out RecordBatchHeader header) && header.TotalSize <= rest.Length && header.BatchLength >= 0)
        {
            if (header.MaxTimestamp > largestTimestamp)
            {
                largestTimestamp = header.MaxTimestamp;
                offsetOfLargestTimestamp = header.BaseOffset;
            }

            rest = rest[(int)header.TotalSize..];
        }

        Append(firstOffset, lastOffset, largestTimestamp, offsetOfLargestTimestamp, batches);
    }

    /// <summary>
    /// Appends whole batches holding offsets <paramref name="firstOffset"/>..<paramref name="lastOffset"/>
    /// (their BaseOffsets already stamped) whose largest batch MaxTimestamp is <paramref name="largestTimestamp"/>,
    /// first reached by the batch at <paramref name="offsetOfLargestTimestamp"/>. Adds an offset-index entry when
    /// <see cref="LogConfig.IndexIntervalBytes"/> have passed since the last one, and with it a time-index entry when
    /// the segment's largest timestamp has grown since the last time-index entry.
    /// </summary>
    public void Append(long firstOffset, long lastOffset, long largestTimestamp, long offsetOfLargestTimestamp, ReadOnlySpan<byte> batches)
    {
        if (batches.IsEmpty)
        {
            return;
        }

        if (firstOffset < BaseOffset || lastOffset < firstOffset || lastOffset - BaseOffset > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(lastOffset), $"Offsets {firstOffset}..{lastOffset} do not fit segment {LogPath}.");
        }

        long position = _size;
        if (position + batches.Length > int.MaxValue)
        {
            throw new InvalidOperationException($"Appending {batches.Length} bytes would take segment {LogPath} past 2 GiB.");
        }

        RandomAccess.Write(_handle, batches, position);
        if (position == 0)
        {
            _firstBatchTimestamp = BinaryPrimitives.ReadInt64BigEndian(batches[RecordBatchHeader.MaxTimestampOffset..]);
        }

        long maxTimestamp = _maxTimestamp;
        long offsetOfMaxTimestamp = _offsetOfMaxTimestamp;
        if (largestTimestamp > maxTimestamp)
        {
            maxTimestamp = largestTimestamp;
            offsetOfMaxTimestamp = offsetOfLargestTimestamp;
        }

        if (_bytesSinceLastIndexEntry > _config.IndexIntervalBytes && !_index.IsFull)
        {
            _index.Append(firstOffset, (int)position);
            if (!_timeIndex.IsFull)
            {
                _timeIndex.MaybeAppend(maxTimestamp, offsetOfMaxTimestamp);
            }

            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry = (int)Math.Min((long)_bytesSinceLastIndexEntry + batches.Length, int.MaxValue);
        _nextOffset = lastOffset + 1;
        Volatile.Write(ref _size, position + batches.Length);
        PublishMaxTimestamp(maxTimestamp, offsetOfMaxTimestamp);
    }

    /// <summary>
    /// Finds the batch holding <paramref name="startOffset"/> (or the first batch after it) and returns whole
    /// batches from there: as many as fit in <paramref name="maxBytes"/>, never reaching
    /// <paramref name="maxPosition"/> (which must be a batch boundary), and at least one when
    /// <paramref name="minOneBatch"/> even if it is larger than <paramref name="maxBytes"/>. Returns an empty slice
    /// when the first batch does not fit and <paramref name="minOneBatch"/> is false, and null when no batch
    /// at or after <paramref name="startOffset"/> lies below <paramref name="maxPosition"/>.
    /// </summary>
    public FileSlice? Read(long startOffset, int maxBytes, long maxPosition, bool minOneBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        long end = Math.Min(maxPosition, Size);
        long start = FindBatchPosition(startOffset, end);
        if (start >= end)
        {
            return null;
        }

        long limit = start + maxBytes;
        long stop;
        if (limit >= end)
        {
            stop = end;
        }
        else
        {
            stop = LastBoundaryAtOrBefore(start, limit, end);
            if (stop == start)
            {
                if (!minOneBatch)
                {
                    return new FileSlice(_handle, start, 0);
                }

                ReadScanHeader(start, end, out _, out int batchLength, out _);
                stop = start + RecordBatchHeader.LogOverhead + batchLength;
            }
        }

        return new FileSlice(_handle, start, checked((int)(stop - start)));
    }

    /// <summary>
    /// Scans the whole file, checking each batch's framing, magic, CRC and offset order; truncates the file after the
    /// last good batch, rebuilds the index and returns how many bytes were cut off.
    /// </summary>
    public long Recover()
    {
        long fileSize = RandomAccess.GetLength(_handle);
        long validEnd = ScanAndRebuildIndex(fileSize, verifyCrc: true, out long nextOffset);
        if (validEnd < fileSize)
        {
            RandomAccess.SetLength(_handle, validEnd);
        }

        _nextOffset = nextOffset;
        Volatile.Write(ref _size, validEnd);
        return fileSize - validEnd;
    }

    /// <summary>
    /// Rebuilds the index from the batch headers without changing the log; returns the end of the last batch whose
    /// framing is sound (less than <see cref="Size"/> when the file is damaged).
    /// </summary>
    public long RebuildIndex()
    {
        long validEnd = ScanAndRebuildIndex(Size, verifyCrc: false, out long nextOffset);
        _nextOffset = nextOffset;
        return validEnd;
    }

    /// <summary>
    /// Removes every batch that holds an offset at or above <paramref name="offset"/> (a batch that straddles it goes
    /// entirely) and returns the bytes removed.
    /// </summary>
    public long TruncateTo(long offset)
    {
        long size = Size;
        long position = FindBatchPosition(offset, size);
        if (position >= size)
        {
            return 0;
        }

        ReadScanHeader(position, size, out long batchBaseOffset, out _, out _);
        _index.TruncateTo(batchBaseOffset);
        _timeIndex.TruncateTo(batchBaseOffset);
        _txnIndex.TruncateTo(batchBaseOffset);
        RandomAccess.SetLength(_handle, position);
        Volatile.Write(ref _size, position);
        _nextOffset = ScanNextOffset(position);
        _bytesSinceLastIndexEntry = (int)Math.Min(position - _index.LastEntry.Position, int.MaxValue);
        if (position == 0)
        {
            _firstBatchTimestamp = UnknownTimestamp;
        }

        // Batches after the last remaining time-index entry may hold a larger timestamp than it: scan them.
        TimestampOffset last = _timeIndex.LastEntry;
        long scanFrom = _timeIndex.EntryCount == 0 ? 0 : _index.Lookup(last.Offset).Position;
        (long maxTimestamp, long offsetOfMaxTimestamp) = _timeIndex.EntryCount == 0 ? (TimeIndex.NoTimestamp, -1L) : (last.Timestamp, last.Offset);
        ScanMaxTimestamp(scanFrom, position, ref maxTimestamp, ref offsetOfMaxTimestamp);
        PublishMaxTimestamp(maxTimestamp, offsetOfMaxTimestamp);
        return size - position;
    }

    /// <summary>Writes the log and index to disk (fsync).</summary>
    public void Flush()
    {
        RandomAccess.FlushToDisk(_handle);
        _index.Flush();
        _timeIndex.Flush();
        _txnIndex.Flush();
    }

    /// <summary>
    /// The segment will not be appended to again: adds the final time-index entry (the segment's largest timestamp)
    /// and trims both index files.
    /// </summary>
    public void OnBecomeInactive()
    {
        AppendFinalTimeIndexEntry();
        _index.TrimToValidSize();
        _timeIndex.TrimToValidSize();
    }

    /// <summary>Closes the files (the index is trimmed). Same as <see cref="Dispose"/>.</summary>
    public void Close() => Dispose();

    /// <summary>Closes and deletes the segment's files.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(LogPath);
        File.Delete(_index.Path);
        File.Delete(_timeIndex.Path);
        File.Delete(_txnIndex.Path);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            AppendFinalTimeIndexEntry();
        }
        finally
        {
            try
            {
                _index.Dispose();
                _timeIndex.Dispose();
                _txnIndex.Dispose();
            }
            finally
            {
                _handle.Dispose();
            }
        }
    }

    /// <summary>
    /// After a clean shutdown: checks the index and the batch headers after its last entry, and learns the next
    /// offset without reading the whole file. False means the segment must be recovered.
    /// </summary>
    internal bool TryLoadTail()
    {
        long size = Size;
        if (!_index.IsConsistentWith(size))
        {
            return false;
        }

        long maxTimestamp = TimeIndex.NoTimestamp;
        long offsetOfMaxTimestamp = -1;
        try
        {
            _nextOffset = ScanNextOffset(size);
            if (!_timeIndex.IsConsistentWith(_nextOffset))
            {
                return false;
            }

            // The last time-index entry covers every batch before the last offset-index entry (an entry is tried
            // with each one, and closing adds a final one); the batches from there on are read.
            long scanFrom = 0;
            if (_timeIndex.EntryCount > 0)
            {
                TimestampOffset last = _timeIndex.LastEntry;
                (maxTimestamp, offsetOfMaxTimestamp) = (last.Timestamp, last.Offset);
                scanFrom = _index.LastEntry.Position;
            }

            ScanMaxTimestamp(scanFrom, size, ref maxTimestamp, ref offsetOfMaxTimestamp);
        }
        catch (InvalidDataException)
        {
            return false;
        }

        PublishMaxTimestamp(maxTimestamp, offsetOfMaxTimestamp);
        _bytesSinceLastIndexEntry = (int)Math.Min(size - _index.LastEntry.Position, int.MaxValue);
        return true;
    }

    /// <summary>
    /// For a segment that is not the active one, opened after it was closed: checks both indexes against the log and
    /// takes the largest timestamp from the last time-index entry (which closing wrote). False means the indexes must
    /// be rebuilt (<see cref="RebuildIndex"/>).
    /// </summary>
    internal bool TryLoadInactive()
    {
        long size = Size;
        if (!_index.IsConsistentWith(size))
        {
            return false;
        }

        long maxTimestamp = TimeIndex.NoTimestamp;
        long offsetOfMaxTimestamp = -1;
        try
        {
            if (!_timeIndex.IsConsistentWith(NextOffset))
            {
                return false;
            }

            if (_timeIndex.EntryCount > 0)
            {
                TimestampOffset last = _timeIndex.LastEntry;
                (maxTimestamp, offsetOfMaxTimestamp) = (last.Timestamp, last.Offset);
            }
            else
            {
                // No timestamp above 0 was ever indexed; read the headers to tell -1 from 0.
                ScanMaxTimestamp(0, size, ref maxTimestamp, ref offsetOfMaxTimestamp);
            }
        }
        catch (InvalidDataException)
        {
            return false;
        }

        PublishMaxTimestamp(maxTimestamp, offsetOfMaxTimestamp);
        return true;
    }

    /// <summary>
    /// The first record at or after <paramref name="startingOffset"/> whose timestamp is at or after
    /// <paramref name="targetTimestamp"/>, or null when the segment has none: the time index gives the batch to start
    /// from, the offset index its position, batch headers are read until one's MaxTimestamp reaches the target, and that
    /// batch's records (decompressed if need be) are read to find the exact record. A reader: runs concurrently with
    /// appends and sees only what <see cref="Size"/> covered when it started.
    /// </summary>
    public TimestampOffset? FindOffsetByTimestamp(long targetTimestamp, long startingOffset)
    {
        long end = Size;
        TimestampOffset entry = _timeIndex.Lookup(targetTimestamp);
        long position = _index.Lookup(Math.Max(entry.Offset, startingOffset)).Position;
        while (position < end)
        {
            RecordBatchHeader header = ReadHeader(position, end);
            if (header.MaxTimestamp >= targetTimestamp && header.LastOffset >= startingOffset)
            {
                TimestampOffset? found = FindRecordInBatch(position, header, targetTimestamp, startingOffset);
                if (found is not null)
                {
                    return found;
                }
            }

            position += header.TotalSize;
        }

        return null;
    }

    /// <summary>
    /// The position of the first batch below <paramref name="endPosition"/> whose last offset is at or above
    /// <paramref name="offset"/>, or <paramref name="endPosition"/> when there is none.
    /// <paramref name="endPosition"/> must be a batch boundary.
    /// </summary>
    internal long FindBatchPosition(long offset, long endPosition)
    {
        long position = _index.Lookup(offset).Position;
        while (position < endPosition)
        {
            ReadScanHeader(position, endPosition, out long baseOffset, out int batchLength, out int lastOffsetDelta);
            if (baseOffset + lastOffsetDelta >= offset)
            {
                return position;
            }

            position += RecordBatchHeader.LogOverhead + batchLength;
        }

        return endPosition;
    }

    /// <summary>The last batch boundary in [<paramref name="start"/>, <paramref name="limit"/>], found from the index entry below the limit.</summary>
    private long LastBoundaryAtOrBefore(long start, long limit, long end)
    {
        long position = Math.Max(start, _index.LookupByPosition(limit).Position);
        while (position < end)
        {
            ReadScanHeader(position, end, out _, out int batchLength, out _);
            long next = position + RecordBatchHeader.LogOverhead + batchLength;
            if (next > limit)
            {
                break;
            }

            position = next;
        }

        return position;
    }

    /// <summary>The offset after the last batch that ends at <paramref name="endPosition"/>, scanning from the index entry below it.</summary>
    private long ScanNextOffset(long endPosition)
    {
        if (endPosition == 0)
        {
            return BaseOffset;
        }

        long position = _index.LookupByPosition(endPosition - 1).Position;
        long nextOffset = BaseOffset;
        while (position < endPosition)
        {
            ReadScanHeader(position, endPosition, out long baseOffset, out int batchLength, out int lastOffsetDelta);
            nextOffset = baseOffset + lastOffsetDelta + 1;
            position += RecordBatchHeader.LogOverhead + batchLength;
        }

        return nextOffset;
    }

    private void ReadScanHeader(long position, long endPosition, out long baseOffset, out int batchLength, out int lastOffsetDelta)
    {
        if (endPosition - position < RecordBatchHeader.HeaderSize)
        {
            ThrowCorrupt(position, "a batch header runs past the end of the readable data");
        }

        Span<byte> header = stackalloc byte[ScanHeaderSize];
        int total = 0;
        while (total < header.Length)
        {
            int read = RandomAccess.Read(_handle, header[total..], position + total);
            if (read == 0)
            {
                ThrowCorrupt(position, "the file ends inside a batch header");
            }

            total += read;
        }

        baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
        batchLength = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..]);
        lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaOffset..]);
        if (header[RecordBatchHeader.MagicOffset] != RecordBatchHeader.CurrentMagic)
        {
            ThrowCorrupt(position, "the batch magic is not 2");
        }

        if (batchLength < RecordBatchHeader.MinBatchLength
            || batchLength > endPosition - position - RecordBatchHeader.LogOverhead
            || lastOffsetDelta < 0)
        {
            ThrowCorrupt(position, $"batch length {batchLength} or last offset delta {lastOffsetDelta} is invalid");
        }
    }

    /// <summary>
    /// Walks the batches from position 0, resetting and refilling the index, and stops at the first batch that is
    /// torn, malformed, out of offset order or (when <paramref name="verifyCrc"/>) fails its CRC.
    /// Returns the position after the last good batch.
    /// </summary>
    private long ScanAndRebuildIndex(long fileSize, bool verifyCrc, out long nextOffset)
    {
        _index.Reset();
        _timeIndex.Reset();
        long maxTimestamp = TimeIndex.NoTimestamp;
        long offsetOfMaxTimestamp = -1;
        int bytesSinceIndexEntry = 0;
        long position = 0;
        long next = BaseOffset;
        using var reader = new ChunkReader(_handle, fileSize, RecoveryBufferSize);
        while (fileSize - position >= RecordBatchHeader.HeaderSize)
        {
            ReadOnlySpan<byte> headerBytes = reader.Get(position, RecordBatchHeader.HeaderSize);
            if (headerBytes.IsEmpty)
            {
                break;
            }

            RecordBatchHeader.TryRead(headerBytes, out RecordBatchHeader header);
            if (header.Magic != RecordBatchHeader.CurrentMagic
                || header.BatchLength < RecordBatchHeader.MinBatchLength
                || header.TotalSize > fileSize - position
                || position + header.TotalSize > int.MaxValue
                || header.BaseOffset < next
                || header.LastOffsetDelta < 0
                || header.LastOffset - BaseOffset > int.MaxValue)
            {
                break;
            }

            int total = (int)header.TotalSize;
            if (verifyCrc)
            {
                ReadOnlySpan<byte> batch = reader.Get(position, total);
                if (batch.IsEmpty || !RecordBatch.IsCrcValid(batch))
                {
                    break;
                }
            }

            if (header.MaxTimestamp > maxTimestamp)
            {
                maxTimestamp = header.MaxTimestamp;
                offsetOfMaxTimestamp = header.BaseOffset;
            }

            if (bytesSinceIndexEntry > _config.IndexIntervalBytes && !_index.IsFull)
            {
                _index.Append(header.BaseOffset, (int)position);
                if (!_timeIndex.IsFull)
                {
                    _timeIndex.MaybeAppend(maxTimestamp, offsetOfMaxTimestamp);
                }

                bytesSinceIndexEntry = 0;
            }

            bytesSinceIndexEntry = (int)Math.Min((long)bytesSinceIndexEntry + total, int.MaxValue);
            next = header.NextOffset;
            position += total;
        }

        _bytesSinceLastIndexEntry = bytesSinceIndexEntry;
        _firstBatchTimestamp = UnknownTimestamp;
        PublishMaxTimestamp(maxTimestamp, offsetOfMaxTimestamp);
        nextOffset = next;
        return position;
    }

    /// <summary>Adds the segment's largest timestamp as the last time-index entry, if it is not already there.</summary>
    private void AppendFinalTimeIndexEntry()
    {
        long maxTimestamp = _maxTimestamp;
        if (maxTimestamp > _timeIndex.LastEntry.Timestamp && _offsetOfMaxTimestamp >= BaseOffset)
        {
            _timeIndex.MaybeAppend(maxTimestamp, _offsetOfMaxTimestamp, isFinalEntry: true);
        }
    }

    private void PublishMaxTimestamp(long maxTimestamp, long offsetOfMaxTimestamp)
    {
        Volatile.Write(ref _offsetOfMaxTimestamp, offsetOfMaxTimestamp);
        Volatile.Write(ref _maxTimestamp, maxTimestamp);
    }

    /// <summary>
    /// Raises (<paramref name="maxTimestamp"/>, <paramref name="offsetOfMaxTimestamp"/>) to the largest batch
    /// MaxTimestamp of the batches from <paramref name="from"/> to <paramref name="end"/> (batch boundaries).
    /// </summary>
    private void ScanMaxTimestamp(long from, long end, ref long maxTimestamp, ref long offsetOfMaxTimestamp)
    {
        long position = from;
        while (position < end)
        {
            RecordBatchHeader header = ReadHeader(position, end);
            if (header.MaxTimestamp > maxTimestamp)
            {
                maxTimestamp = header.MaxTimestamp;
                offsetOfMaxTimestamp = header.BaseOffset;
            }

            position += header.TotalSize;
        }
    }

    /// <summary>The whole 61-byte header of the batch at <paramref name="position"/>, with its framing checked.</summary>
    private RecordBatchHeader ReadHeader(long position, long endPosition)
    {
        if (endPosition - position < RecordBatchHeader.HeaderSize)
        {
            ThrowCorrupt(position, "a batch header runs past the end of the readable data");
        }

        Span<byte> bytes = stackalloc byte[RecordBatchHeader.HeaderSize];
        ReadFully(bytes, position);
        RecordBatchHeader.TryRead(bytes, out RecordBatchHeader header);
        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            ThrowCorrupt(position, "the batch magic is not 2");
        }

        if (header.BatchLength < RecordBatchHeader.MinBatchLength
            || header.BatchLength > endPosition - position - RecordBatchHeader.LogOverhead
            || header.LastOffsetDelta < 0)
        {
            ThrowCorrupt(position, $"batch length {header.BatchLength} or last offset delta {header.LastOffsetDelta} is invalid");
        }

        return header;
    }

    private void ReadFully(Span<byte> destination, long position)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(_handle, destination[total..], position + total);
            if (read == 0)
            {
                ThrowCorrupt(position, "the file ends inside a batch");
            }

            total += read;
        }
    }

    /// <summary>
    /// The first record of the batch at <paramref name="position"/> at or after <paramref name="startingOffset"/> whose
    /// timestamp reaches <paramref name="targetTimestamp"/>. In a LogAppendTime batch every record has the batch's
    /// MaxTimestamp.
    /// </summary>
    private TimestampOffset? FindRecordInBatch(long position, in RecordBatchHeader header, long targetTimestamp, long startingOffset)
    {
        int size = (int)header.TotalSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            ReadFully(buffer.AsSpan(0, size), position);
            ReadOnlySpan<byte> batch = buffer.AsSpan(0, size);
            if (header.Compression != CompressionType.None)
            {
                batch = RecordBatchCompression.Decompress(buffer.AsMemory(0, size));
            }

            bool logAppendTime = header.TimestampType == TimestampType.LogAppendTime;
            foreach (Record record in RecordReader.FromBatch(batch))
            {
                long offset = header.BaseOffset + record.OffsetDelta;
                long timestamp = logAppendTime ? header.MaxTimestamp : header.BaseTimestamp + record.TimestampDelta;
                if (timestamp >= targetTimestamp && offset >= startingOffset)
                {
                    return new TimestampOffset(timestamp, offset);
                }
            }

            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static LogSegment OpenFiles(string directory, long baseOffset, LogConfig config, FileMode mode)
    {
        string logPath = Path.Combine(directory, FileName(baseOffset, LogFileSuffix));
        string indexPath = Path.Combine(directory, FileName(baseOffset, OffsetIndex.FileSuffix));
        string timeIndexPath = Path.Combine(directory, FileName(baseOffset, TimeIndex.FileSuffix));
        // Asynchronous changes nothing for positional reads and writes on Linux, but the network layer can only
        // hand an asynchronous handle to the socket's sendfile path (SendPacketsElement needs an async FileStream).
        SafeFileHandle handle = File.OpenHandle(
            logPath, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        OffsetIndex? index = null;
        try
        {
            index = new OffsetIndex(indexPath, baseOffset, config.MaxIndexSize);
            var timeIndex = new TimeIndex(timeIndexPath, baseOffset, config.MaxIndexSize);
            return new LogSegment(logPath, baseOffset, config, handle, index, timeIndex, TransactionIndex.Load(directory, baseOffset));
        }
        catch
        {
            index?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    [DoesNotReturn]
    private void ThrowCorrupt(long position, string reason) =>
        throw new InvalidDataException($"Segment {LogPath} is corrupt at position {position}: {reason}.");

    /// <summary>Sequential reads of a file through one pooled buffer, for recovery scans.</summary>
    private sealed class ChunkReader : IDisposable
    {
        private readonly SafeFileHandle _handle;
        private readonly long _fileSize;
        private byte[] _buffer;
        private long _bufferStart;
        private int _bufferLength;

        public ChunkReader(SafeFileHandle handle, long fileSize, int bufferSize)
        {
            _handle = handle;
            _fileSize = fileSize;
            _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(fileSize, RecordBatchHeader.HeaderSize, bufferSize));
        }

        /// <summary>The <paramref name="count"/> bytes at <paramref name="position"/>, or empty when the file has fewer.</summary>
        public ReadOnlySpan<byte> Get(long position, int count)
        {
            if (position < _bufferStart || position + count > _bufferStart + _bufferLength)
            {
                if (count > _buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = [];
                    _buffer = ArrayPool<byte>.Shared.Rent(count);
                }

                int wanted = (int)Math.Min(_buffer.Length, _fileSize - position);
                int total = 0;
                while (total < wanted)
                {
                    int read = RandomAccess.Read(_handle, _buffer.AsSpan(total, wanted - total), position + total);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }

                _bufferStart = position;
                _bufferLength = total;
                if (total < count)
                {
                    return default;
                }
            }

            return _buffer.AsSpan((int)(position - _bufferStart), count);
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
