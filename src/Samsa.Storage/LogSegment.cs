using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// One segment of a partition log: a <c>.log</c> file of record batches and its <see cref="OffsetIndex"/>.
/// <para>
/// On disk: <c>&lt;baseOffset:D20&gt;.log</c> (the base offset, zero-padded to 20 digits, is the first offset the
/// segment may hold) contains record batches v2 back to back, byte for byte as the producer sent them except for
/// BaseOffset and PartitionLeaderEpoch, which the broker stamps (both outside the CRC). There is no segment header
/// or footer: the file ends after the last whole batch. Offsets ascend strictly from batch to batch and every
/// offset in the segment is below <c>BaseOffset + 2^31</c> so the index can store it relative to the base.
/// Next to it, <c>&lt;baseOffset:D20&gt;.index</c> (see <see cref="OffsetIndex"/>).
/// </para>
/// <para>
/// Thread-safety: one writer at a time (<see cref="Append"/>, <see cref="Recover"/>, <see cref="TruncateTo"/>;
/// the owning <see cref="PartitionLog"/> serializes them). <see cref="Read"/> may run concurrently with the writer:
/// the writer publishes <see cref="Size"/> only after the bytes are written, and readers never look past it.
/// </para>
/// </summary>
public sealed class LogSegment : IDisposable
{
    public const string LogFileSuffix = ".log";

    /// <summary>The header bytes a scan reads per batch: BaseOffset through LastOffsetDelta.</summary>
    private const int ScanHeaderSize = RecordBatchHeader.LastOffsetDeltaOffset + 4;

    private const int RecoveryBufferSize = 1 << 20;

    private readonly LogConfig _config;
    private readonly SafeFileHandle _handle;
    private readonly OffsetIndex _index;
    private long _size;
    private long _nextOffset;
    private int _bytesSinceLastIndexEntry;
    private int _disposed;

    private LogSegment(string logPath, long baseOffset, LogConfig config, SafeFileHandle handle, OffsetIndex index)
    {
        LogPath = logPath;
        BaseOffset = baseOffset;
        _config = config;
        _handle = handle;
        _index = index;
        _size = RandomAccess.GetLength(handle);
        _nextOffset = _size == 0 ? baseOffset : -1;
    }

    /// <summary>The first offset this segment may hold; also its file name.</summary>
    public long BaseOffset { get; }

    public string LogPath { get; }

    public OffsetIndex Index => _index;

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
        string indexPath = Path.Combine(directory, FileName(baseOffset, OffsetIndex.FileSuffix));
        File.Delete(indexPath);
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
    /// (their BaseOffsets already stamped), adding an index entry when <see cref="LogConfig.IndexIntervalBytes"/>
    /// have passed since the last one.
    /// </summary>
    public void Append(long firstOffset, long lastOffset, ReadOnlySpan<byte> batches)
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
        if (_bytesSinceLastIndexEntry > _config.IndexIntervalBytes && !_index.IsFull)
        {
            _index.Append(firstOffset, (int)position);
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry = (int)Math.Min((long)_bytesSinceLastIndexEntry + batches.Length, int.MaxValue);
        _nextOffset = lastOffset + 1;
        Volatile.Write(ref _size, position + batches.Length);
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
        RandomAccess.SetLength(_handle, position);
        Volatile.Write(ref _size, position);
        _nextOffset = ScanNextOffset(position);
        _bytesSinceLastIndexEntry = (int)Math.Min(position - _index.LastEntry.Position, int.MaxValue);
        return size - position;
    }

    /// <summary>Writes the log and index to disk (fsync).</summary>
    public void Flush()
    {
        RandomAccess.FlushToDisk(_handle);
        _index.Flush();
    }

    /// <summary>The segment will not be appended to again: trims the index file.</summary>
    public void OnBecomeInactive() => _index.TrimToValidSize();

    /// <summary>Closes the files (the index is trimmed). Same as <see cref="Dispose"/>.</summary>
    public void Close() => Dispose();

    /// <summary>Closes and deletes the segment's files.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(LogPath);
        File.Delete(_index.Path);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _index.Dispose();
        }
        finally
        {
            _handle.Dispose();
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

        try
        {
            _nextOffset = ScanNextOffset(size);
        }
        catch (InvalidDataException)
        {
            return false;
        }

        _bytesSinceLastIndexEntry = (int)Math.Min(size - _index.LastEntry.Position, int.MaxValue);
        return true;
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

            if (bytesSinceIndexEntry > _config.IndexIntervalBytes && !_index.IsFull)
            {
                _index.Append(header.BaseOffset, (int)position);
                bytesSinceIndexEntry = 0;
            }

            bytesSinceIndexEntry = (int)Math.Min((long)bytesSinceIndexEntry + total, int.MaxValue);
            next = header.NextOffset;
            position += total;
        }

        _bytesSinceLastIndexEntry = bytesSinceIndexEntry;
        nextOffset = next;
        return position;
    }

    private static LogSegment OpenFiles(string directory, long baseOffset, LogConfig config, FileMode mode)
    {
        string logPath = Path.Combine(directory, FileName(baseOffset, LogFileSuffix));
        string indexPath = Path.Combine(directory, FileName(baseOffset, OffsetIndex.FileSuffix));
        SafeFileHandle handle = File.OpenHandle(logPath, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            var index = new OffsetIndex(indexPath, baseOffset, config.MaxIndexSize);
            return new LogSegment(logPath, baseOffset, config, handle, index);
        }
        catch
        {
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

    // Replaced by the time index.
    private long[]? _maxTimestampAtSize;

    /// <summary>The largest batch MaxTimestamp in the segment, or -1 when it is empty; scans the batch headers.</summary>
    public long MaxTimestamp
    {
        get
        {
            long size = Size;
            if (Volatile.Read(ref _maxTimestampAtSize) is [long cachedSize, long cachedMax] && cachedSize == size)
            {
                return cachedMax;
            }

            long max = -1;
            Span<byte> header = stackalloc byte[RecordBatchHeader.HeaderSize];
            long position = 0;
            while (size - position >= RecordBatchHeader.HeaderSize)
            {
                if (RandomAccess.Read(_handle, header, position) < header.Length)
                {
                    break;
                }

                max = Math.Max(max, BinaryPrimitives.ReadInt64BigEndian(header[RecordBatchHeader.MaxTimestampOffset..]));
                position += RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..]);
            }

            Volatile.Write(ref _maxTimestampAtSize, [size, max]);
            return max;
        }
    }
}
