using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>What one cleaning pass did.</summary>
internal sealed class CleanerStats
{
    /// <summary>The first offset not cleaned: the new cleaner checkpoint.</summary>
    public long EndOffset { get; set; }

    public long BytesRead { get; set; }

    public long BytesWritten { get; set; }

    public long RecordsRemoved { get; set; }

    public int SegmentsCleaned { get; set; }
}

/// <summary>
/// One cleaner thread's worker: cleans one log per call to <see cref="Clean"/> (the algorithm is described in
/// <see cref="LogCleaner"/>), with its own <see cref="OffsetMap"/> and I/O buffers, so memory stays bounded by the
/// configured sizes whatever the log's size. Not thread-safe: one per thread.
/// </summary>
internal sealed class Cleaner : IDisposable
{
    private readonly OffsetMap _map;
    private readonly CleanerThrottler _throttler;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stop;
    private readonly PooledBufferWriter _decompressed = new(64 * 1024);
    private readonly PooledBufferWriter _retained = new(64 * 1024);
    private readonly PooledBufferWriter _rebuilt = new(64 * 1024);
    private readonly int _readBufferSize;
    private byte[] _read;
    private byte[] _write;
    private int _writeLength;
    private SafeFileHandle? _windowHandle;
    private long _windowStart;
    private int _windowLength;

    // The aborted transactions of the log being cleaned, by producer id: their data is left as it is.
    private readonly Dictionary<long, List<AbortedTxn>> _aborted = [];
    private readonly List<AbortedTxn> _abortedScratch = [];

    public Cleaner(long dedupeBytes, double loadFactor, int ioBufferBytes, CleanerThrottler throttler, TimeProvider time, CancellationToken stop)
    {
        _map = new OffsetMap(dedupeBytes, loadFactor);
        _throttler = throttler;
        _time = time;
        _stop = stop;
        _readBufferSize = Math.Max(ioBufferBytes / 2, RecordBatchHeader.HeaderSize);
        _read = ArrayPool<byte>.Shared.Rent(_readBufferSize);
        _write = ArrayPool<byte>.Shared.Rent(Math.Max(ioBufferBytes / 2, RecordBatchHeader.HeaderSize));
    }

    internal OffsetMap Map => _map;

    /// <summary>
    /// Cleans <paramref name="log"/>: maps the keys of the dirty section [<paramref name="firstDirtyOffset"/>,
    /// <paramref name="cleanableEndOffset"/>) (stopping early when the map fills), then rewrites every segment below the
    /// mapped end, group by group, swapping each group's cleaned segment in. Returns null when the log changed under
    /// it (a swap found its segments gone) or closed.
    /// </summary>
    public CleanerStats? Clean(PartitionLog log, long firstDirtyOffset, long cleanableEndOffset)
    {
        var stats = new CleanerStats();
        LogSegment[] segments = [.. log.Segments];
        LoadAbortedTransactions(log, segments[0].BaseOffset, cleanableEndOffset);
        long endOffset = BuildOffsetMap(segments, firstDirtyOffset, cleanableEndOffset, stats);
        int count = 0;
        while (count < segments.Length - 1 && segments[count].BaseOffset < endOffset)
        {
            count++;
        }

        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long deleteHorizonMs = log.Config.DeleteRetentionMs >= nowMs ? long.MinValue : nowMs - log.Config.DeleteRetentionMs;
        foreach (List<LogSegment> group in GroupBySize(segments, count, log.Config.SegmentBytes, log.Config.MaxIndexSize / OffsetIndex.EntrySize))
        {
            if (!CleanGroup(log, group, endOffset, deleteHorizonMs, stats))
            {
                return null;
            }

            stats.SegmentsCleaned += group.Count;
        }

        stats.EndOffset = endOffset;
        return stats;
    }

    /// <summary>
    /// Learns the log's aborted transactions that began below <paramref name="cleanableEndOffset"/> (which is at or below
    /// the last stable offset, so every other transactional batch below it is committed).
    /// </summary>
    private void LoadAbortedTransactions(PartitionLog log, long logStart, long cleanableEndOffset)
    {
        _aborted.Clear();
        _abortedScratch.Clear();
        log.CollectAbortedTransactions(logStart, cleanableEndOffset, _abortedScratch);
        foreach (AbortedTxn aborted in _abortedScratch)
        {
            if (!_aborted.TryGetValue(aborted.ProducerId, out List<AbortedTxn>? list))
            {
                _aborted[aborted.ProducerId] = list = [];
            }

            list.Add(aborted);
        }
    }

    /// <summary>
    /// True for the batches the cleaner leaves exactly as they are: transaction markers and the data of aborted
    /// transactions. A committed transaction's data is cleaned like any other (the cleanable range ends at or below the
    /// last stable offset; batches above it are never mapped, so they stay).
    /// </summary>
    private bool KeptAsIs(in RecordBatchHeader header)
    {
        if (header.IsControl)
        {
            return true;
        }

        if (!header.IsTransactional || !_aborted.TryGetValue(header.ProducerId, out List<AbortedTxn>? transactions))
        {
            return false;
        }

        foreach (AbortedTxn aborted in transactions)
        {
            if (header.BaseOffset >= aborted.FirstOffset && header.BaseOffset <= aborted.LastOffset)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        _decompressed.Dispose();
        _retained.Dispose();
        _rebuilt.Dispose();
        ArrayPool<byte>.Shared.Return(_read);
        ArrayPool<byte>.Shared.Return(_write);
        _read = [];
        _write = [];
    }

    /// <summary>
    /// Groups consecutive segments (of the first <paramref name="count"/>) so each group's cleaned segment stays
    /// within <paramref name="maxBytes"/>, its index within <paramref name="maxIndexEntries"/>, and its offsets within
    /// 2^31 of its base offset (the next segment's base offset bounds a segment's offsets).
    /// </summary>
    internal static List<List<LogSegment>> GroupBySize(LogSegment[] segments, int count, int maxBytes, int maxIndexEntries)
    {
        var groups = new List<List<LogSegment>>();
        int i = 0;
        while (i < count)
        {
            var group = new List<LogSegment> { segments[i] };
            long bytes = segments[i].Size;
            long entries = segments[i].Index.EntryCount;
            i++;
            while (i < count
                && bytes + segments[i].Size <= maxBytes
                && entries + segments[i].Index.EntryCount <= maxIndexEntries
                && segments[i + 1].BaseOffset - 1 - group[0].BaseOffset <= int.MaxValue)
            {
                group.Add(segments[i]);
                bytes += segments[i].Size;
                entries += segments[i].Index.EntryCount;
                i++;
            }

            groups.Add(group);
        }

        return groups;
    }

    /// <summary>
    /// Fills the map with the latest offset of each key of the dirty section and returns the offset it reached:
    /// <paramref name="cleanableEndOffset"/>, or the end of the last batch that fitted when the map filled.
    /// Control and transactional batches are not mapped (their records never replace others, for now).
    /// </summary>
    private long BuildOffsetMap(LogSegment[] segments, long firstDirtyOffset, long cleanableEndOffset, CleanerStats stats)
    {
        _map.Clear();
        long endOffset = firstDirtyOffset;
        for (int i = 0; i < segments.Length - 1; i++)
        {
            LogSegment segment = segments[i];
            if (segment.BaseOffset >= cleanableEndOffset)
            {
                break;
            }

            if (segments[i + 1].BaseOffset <= firstDirtyOffset)
            {
                continue;
            }

            ResetWindow();
            long size = segment.Size;
            long position = segment.BaseOffset < firstDirtyOffset ? segment.FindBatchPosition(firstDirtyOffset, size) : 0;
            while (position < size)
            {
                _stop.ThrowIfCancellationRequested();
                ReadOnlyMemory<byte> batch = BatchAt(segment, position, size, stats, out RecordBatchHeader header);
                position += header.TotalSize;
                if (header.BaseOffset >= cleanableEndOffset)
                {
                    return cleanableEndOffset;
                }

                if (!KeptAsIs(header))
                {
                    if (_map.Count + (long)header.RecordsCount > _map.MaxEntries)
                    {
                        if (endOffset == firstDirtyOffset)
                        {
                            throw new InvalidOperationException(
                                $"The cleaner's offset map ({_map.MaxEntries} keys) cannot hold the {header.RecordsCount} records of the batch at offset {header.BaseOffset} in {segment.LogPath}; raise log.cleaner.dedupe.buffer.size.");
                        }

                        return endOffset;
                    }

                    foreach (Record record in new RecordReader(Payload(batch, header)))
                    {
                        if (!record.IsKeyNull)
                        {
                            _map.Put(record.Key, header.BaseOffset + record.OffsetDelta);
                        }
                    }
                }

                endOffset = header.NextOffset;
            }
        }

        return cleanableEndOffset;
    }

    /// <summary>
    /// Writes the retained batches of <paramref name="group"/> to <c>&lt;base&gt;.log.cleaned</c> and its index, makes
    /// them durable, renames them to <c>.swap</c> and asks the log to swap them in. False when the log no longer holds
    /// the group. Temporary files are removed on failure, except after the swap started (recovery finishes it).
    /// </summary>
    private bool CleanGroup(PartitionLog log, List<LogSegment> group, long endOffset, long deleteHorizonMs, CleanerStats stats)
    {
        string directory = log.Directory;
        long baseOffset = group[0].BaseOffset;
        bool swapped = false;
        bool swapStarted = false;
        try
        {
            SegmentSwap.DeleteFiles(directory, baseOffset, SegmentSwap.CleanedSuffix);
            SegmentSwap.DeleteFiles(directory, baseOffset, SegmentSwap.SwapSuffix);
            using (SafeFileHandle output = File.OpenHandle(
                SegmentSwap.PathOf(directory, baseOffset, LogSegment.LogFileSuffix, SegmentSwap.CleanedSuffix), FileMode.CreateNew, FileAccess.ReadWrite))
            using (var index = new OffsetIndex(
                SegmentSwap.PathOf(directory, baseOffset, OffsetIndex.FileSuffix, SegmentSwap.CleanedSuffix), baseOffset, log.Config.MaxIndexSize))
            using (var timeIndex = new TimeIndex(
                SegmentSwap.PathOf(directory, baseOffset, TimeIndex.FileSuffix, SegmentSwap.CleanedSuffix), baseOffset, log.Config.MaxIndexSize))
            {
                long maxTimestamp = TimeIndex.NoTimestamp;
                long offsetOfMaxTimestamp = baseOffset;
                long outputPosition = 0;
                long filePosition = 0;
                long bytesSinceIndexEntry = 0;
                _writeLength = 0;
                foreach (LogSegment segment in group)
                {
                    ResetWindow();
                    long size = segment.Size;
                    long position = 0;
                    while (position < size)
                    {
                        _stop.ThrowIfCancellationRequested();
                        ReadOnlyMemory<byte> batch = BatchAt(segment, position, size, stats, out RecordBatchHeader header);
                        position += header.TotalSize;
                        ReadOnlySpan<byte> retained = FilterBatch(batch, header, endOffset, deleteHorizonMs, stats);
                        if (retained.IsEmpty && position == size && ReferenceEquals(segment, group[^1]))
                        {
                            retained = EmptyBatch(batch.Span);
                        }

                        if (retained.IsEmpty)
                        {
                            continue;
                        }

                        if (bytesSinceIndexEntry > log.Config.IndexIntervalBytes && outputPosition > 0 && !index.IsFull)
                        {
                            index.Append(header.BaseOffset, checked((int)outputPosition));
                            if (maxTimestamp > 0 && !timeIndex.IsFull)
                            {
                                timeIndex.MaybeAppend(maxTimestamp, offsetOfMaxTimestamp);
                            }
                            bytesSinceIndexEntry = 0;
                        }

                        // The rebuilt batch's MaxTimestamp may be smaller than the original's: index what is kept.
                        RecordBatchHeader.TryRead(retained, out RecordBatchHeader kept);
                        if (kept.MaxTimestamp > maxTimestamp)
                        {
                            maxTimestamp = kept.MaxTimestamp;
                            offsetOfMaxTimestamp = kept.BaseOffset;
                        }

                        Write(output, retained, ref filePosition, stats);
                        outputPosition += retained.Length;
                        bytesSinceIndexEntry += retained.Length;
                    }
                }

                FlushWrites(output, ref filePosition, stats);
                RandomAccess.FlushToDisk(output);
                index.TrimToValidSize();
                index.Flush();
                if (maxTimestamp > 0)
                {
                    timeIndex.MaybeAppend(maxTimestamp, offsetOfMaxTimestamp, isFinalEntry: true);
                }
                timeIndex.TrimToValidSize();
                timeIndex.Flush();
            }

            SegmentSwap.Completed(directory, "wrote the cleaned files");

            SegmentSwap.RenameCleanedToSwap(directory, baseOffset);
            swapStarted = true;
            swapped = log.ReplaceSegments(group, baseOffset);
            swapStarted = false;
            return swapped;
        }
        finally
        {
            if (!swapped && !swapStarted)
            {
                DeleteTemporaryFiles(directory, baseOffset);
            }
        }
    }

    private static void DeleteTemporaryFiles(string directory, long baseOffset)
    {
        try
        {
            SegmentSwap.DeleteFiles(directory, baseOffset, SegmentSwap.CleanedSuffix);
            SegmentSwap.DeleteFiles(directory, baseOffset, SegmentSwap.SwapSuffix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The directory went away with its log; nothing is left to remove.
        }
    }

    /// <summary>
    /// The bytes to keep of one batch: the batch itself when every record stays (and always for markers and aborted
    /// transactions' data, see <see cref="KeptAsIs"/>), nothing when no record stays, else a rebuilt batch of the retained records (same base
    /// offset, LastOffsetDelta, base timestamp and producer fields; records copied byte for byte, recompressed with
    /// the batch's codec; count, CreateTime max timestamp, length and CRC recomputed).
    /// </summary>
    private ReadOnlySpan<byte> FilterBatch(ReadOnlyMemory<byte> batchMemory, in RecordBatchHeader header, long endOffset, long deleteHorizonMs, CleanerStats stats)
    {
        ReadOnlySpan<byte> batch = batchMemory.Span;
        if (KeptAsIs(header))
        {
            return batch;
        }

        ReadOnlySpan<byte> payload = Payload(batchMemory, header);
        _retained.Clear();
        bool logAppendTime = header.TimestampType == TimestampType.LogAppendTime;
        long maxTimestamp = long.MinValue;
        int total = 0;
        int kept = 0;
        var reader = new RecordReader(payload);
        while (reader.MoveNext())
        {
            Record record = reader.Current;
            total++;
            long offset = header.BaseOffset + record.OffsetDelta;
            long timestamp = logAppendTime ? header.MaxTimestamp : header.BaseTimestamp + record.TimestampDelta;
            if (ShouldRetain(record, offset, timestamp, endOffset, deleteHorizonMs))
            {
                _retained.Write(payload[(reader.Position - record.SizeInBytes)..reader.Position]);
                kept++;
                maxTimestamp = Math.Max(maxTimestamp, timestamp);
            }
        }

        stats.RecordsRemoved += total - kept;
        if (kept == total && total > 0)
        {
            return batch;
        }

        if (kept == 0)
        {
            return default;
        }

        Span<byte> template = stackalloc byte[RecordBatchHeader.HeaderSize];
        batch[..RecordBatchHeader.HeaderSize].CopyTo(template);
        BinaryPrimitives.WriteInt32BigEndian(template[RecordBatchHeader.RecordsCountOffset..], kept);
        if (!logAppendTime)
        {
            BinaryPrimitives.WriteInt64BigEndian(template[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
        }

        _rebuilt.Clear();
        if (header.Compression == CompressionType.None)
        {
            _rebuilt.Write(template);
            _rebuilt.Write(_retained.WrittenSpan);
            Span<byte> rebuilt = _rebuilt.WrittenSpan;
            BinaryPrimitives.WriteInt32BigEndian(rebuilt[RecordBatchHeader.BatchLengthOffset..], rebuilt.Length - RecordBatchHeader.LogOverhead);
            RecordBatch.WriteCrc(rebuilt);
        }
        else
        {
            RecordBatchCompression.WriteBatch(template, _retained.WrittenSpan, header.Compression, _rebuilt);
        }

        return _rebuilt.WrittenSpan;
    }

    /// <summary>
    /// The batch's header alone: no records, no compression, same offsets and producer fields. It ends a cleaned
    /// segment whose last batch lost every record, so the segment still ends at the offset the old ones did (which is
    /// what crash recovery reads to know which segments a swap replaces) and the producer's last sequence survives.
    /// </summary>
    private ReadOnlySpan<byte> EmptyBatch(ReadOnlySpan<byte> batch)
    {
        _rebuilt.Clear();
        _rebuilt.Write(batch[..RecordBatchHeader.HeaderSize]);
        Span<byte> header = _rebuilt.WrittenSpan;
        short attributes = BinaryPrimitives.ReadInt16BigEndian(header[RecordBatchHeader.AttributesOffset..]);
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.AttributesOffset..], (short)(attributes & ~RecordBatchHeader.CompressionMask));
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..], RecordBatchHeader.MinBatchLength);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.RecordsCountOffset..], 0);
        RecordBatch.WriteCrc(header);
        return header;
    }

    /// <summary>
    /// Kafka's rule: a record goes when it has no key, when a later record of its key is in the map, or when it is a
    /// tombstone below the mapped end whose timestamp is at or before the delete horizon.
    /// </summary>
    private bool ShouldRetain(in Record record, long offset, long timestamp, long endOffset, long deleteHorizonMs)
    {
        if (record.IsKeyNull)
        {
            return false;
        }

        if (_map.Get(record.Key) > offset)
        {
            return false;
        }

        return !(record.IsValueNull && offset < endOffset && timestamp <= deleteHorizonMs);
    }

    /// <summary>The uncompressed records of a batch: its own bytes, or its payload decompressed into a reused buffer.</summary>
    private ReadOnlySpan<byte> Payload(ReadOnlyMemory<byte> batch, in RecordBatchHeader header)
    {
        ReadOnlyMemory<byte> payload = batch[RecordBatchHeader.RecordsOffset..(int)header.TotalSize];
        if (header.Compression == CompressionType.None)
        {
            return payload.Span;
        }

        _decompressed.Clear();
        CompressionCodec.Decompress(header.Compression, payload, _decompressed, RecordValidationPolicy.DefaultMaxDecompressedBytes);
        return _decompressed.WrittenSpan;
    }

    private void ResetWindow()
    {
        _windowHandle = null;
        _windowLength = 0;
    }

    /// <summary>The whole batch at <paramref name="position"/> of <paramref name="segment"/>, read through the window.</summary>
    private ReadOnlyMemory<byte> BatchAt(LogSegment segment, long position, long size, CleanerStats stats, out RecordBatchHeader header)
    {
        ReadOnlyMemory<byte> headerBytes = Window(segment, position, RecordBatchHeader.HeaderSize, size, stats);
        RecordBatchHeader.TryRead(headerBytes.Span, out header);
        if (header.Magic != RecordBatchHeader.CurrentMagic
            || header.BatchLength < RecordBatchHeader.MinBatchLength
            || header.TotalSize > size - position
            || header.LastOffsetDelta < 0)
        {
            throw new InvalidDataException($"Segment {segment.LogPath} has a malformed batch at position {position}.");
        }

        return Window(segment, position, (int)header.TotalSize, size, stats);
    }

    private ReadOnlyMemory<byte> Window(LogSegment segment, long position, int count, long size, CleanerStats stats)
    {
        if (!ReferenceEquals(_windowHandle, segment.Handle)
            || position < _windowStart
            || position + count > _windowStart + _windowLength)
        {
            if (count > _read.Length)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent(count);
                ArrayPool<byte>.Shared.Return(_read);
                _read = larger;
            }
            else if (_read.Length > _readBufferSize && count <= _readBufferSize)
            {
                byte[] smaller = ArrayPool<byte>.Shared.Rent(_readBufferSize);
                ArrayPool<byte>.Shared.Return(_read);
                _read = smaller;
            }

            int wanted = (int)Math.Min(_read.Length, size - position);
            int total = 0;
            while (total < wanted)
            {
                int read = RandomAccess.Read(segment.Handle, _read.AsSpan(total, wanted - total), position + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            _windowHandle = segment.Handle;
            _windowStart = position;
            _windowLength = total;
            stats.BytesRead += total;
            _throttler.Acquire(total, _stop);
            if (total < count)
            {
                throw new InvalidDataException($"Segment {segment.LogPath} ends inside a batch at position {position}.");
            }
        }

        return _read.AsMemory((int)(position - _windowStart), count);
    }

    private void Write(SafeFileHandle output, ReadOnlySpan<byte> bytes, ref long filePosition, CleanerStats stats)
    {
        if (bytes.Length > _write.Length - _writeLength)
        {
            FlushWrites(output, ref filePosition, stats);
        }

        if (bytes.Length >= _write.Length)
        {
            RandomAccess.Write(output, bytes, filePosition);
            filePosition += bytes.Length;
            stats.BytesWritten += bytes.Length;
            _throttler.Acquire(bytes.Length, _stop);
            return;
        }

        bytes.CopyTo(_write.AsSpan(_writeLength));
        _writeLength += bytes.Length;
    }

    private void FlushWrites(SafeFileHandle output, ref long filePosition, CleanerStats stats)
    {
        if (_writeLength == 0)
        {
            return;
        }

        RandomAccess.Write(output, _write.AsSpan(0, _writeLength), filePosition);
        filePosition += _writeLength;
        stats.BytesWritten += _writeLength;
        _throttler.Acquire(_writeLength, _stop);
        _writeLength = 0;
    }
}
