using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Client.Consumer;

/// <summary>Takes records out of a <see cref="CompletedFetch"/>; a struct so the per-record call is not virtual.</summary>
internal interface IRecordSink
{
    void Accept(in ConsumedRecord record);
}

/// <summary>
/// One partition's records from one fetch response, read in place: batch by batch, skipping records below the
/// partition's position (a batch may start before it), control batches always, and with read_committed the batches
/// of aborted transactions (the response's AbortedTransactions: a producer's transactional batches are dropped from
/// the first offset of its aborted transaction until its ABORT marker). Compressed batches are decompressed one at a
/// time into a pooled buffer. A batch cut off at the end of the response is left for the next fetch. Used by the
/// thread calling Consume only; the response buffer is released through <see cref="FetchResponseBuffer"/>.
/// </summary>
internal sealed class CompletedFetch : IDisposable
{
    private readonly FetchResponseBuffer _owner;
    private readonly ReadOnlyMemory<byte> _records;
    private readonly bool _checkCrcs;
    private readonly bool _autoStore;
    private readonly List<FetchResponse.AbortedTransaction>? _aborted;
    private HashSet<long>? _abortedProducers;
    private int _abortedIndex;
    private int _next;
    private bool _inBatch;
    private RecordBatchHeader _batch;
    private ReadOnlyMemory<byte> _payload;
    private int _payloadPosition;
    private PooledBufferWriter? _decompressed;
    private bool _released;

    public CompletedFetch(FetchResponseBuffer owner, PartitionState partition, int epoch, ReadOnlyMemory<byte> records,
        List<FetchResponse.AbortedTransaction>? aborted, bool checkCrcs, bool autoStore)
    {
        _autoStore = autoStore;
        _owner = owner;
        Partition = partition;
        Epoch = epoch;
        _records = records;
        _checkCrcs = checkCrcs;
        if (aborted is { Count: > 0 })
        {
            _aborted = [.. aborted];
            _aborted.Sort(static (a, b) => a.FirstOffset.CompareTo(b.FirstOffset));
        }
    }

    public PartitionState Partition { get; }

    /// <summary>The partition's epoch when the fetch was sent; the data is stale once they differ.</summary>
    public int Epoch { get; }

    public bool IsStale => Epoch != Partition.Epoch;

    public bool IsDrained { get; private set; }

    /// <summary>
    /// Hands up to <paramref name="max"/> records to <paramref name="sink"/>, advancing the partition's position;
    /// returns how many. <see cref="IsDrained"/> is set once nothing readable is left.
    /// </summary>
    public int Read<TSink>(ref TSink sink, int max)
        where TSink : struct, IRecordSink
    {
        int delivered = 0;
        var partition = Partition;
        while (delivered < max)
        {
            if (!_inBatch && !OpenNextBatch())
            {
                IsDrained = true;
                break;
            }
            var payload = _payload.Span;
            if (_payloadPosition >= payload.Length)
            {
                FinishBatch();
                continue;
            }
            var reader = new RecordReader(payload[_payloadPosition..]);
            bool read;
            try
            {
                read = reader.MoveNext();
            }
            catch (InvalidRecordException e)
            {
                throw Corrupt($"a record of the batch at offset {_batch.BaseOffset} is malformed: {e.Message}", e);
            }
            if (!read)
            {
                FinishBatch();
                continue;
            }
            var record = reader.Current;
            _payloadPosition += reader.Position;
            long offset = _batch.BaseOffset + record.OffsetDelta;
            if (offset < partition.Position)
            {
                continue;
            }
            var timestamp = _batch.TimestampType == Protocol.Records.TimestampType.LogAppendTime
                ? new Timestamp(_batch.MaxTimestamp, TimestampType.LogAppendTime)
                : new Timestamp(_batch.BaseTimestamp + record.TimestampDelta, TimestampType.CreateTime);
            partition.Position = offset + 1;
            partition.LastLeaderEpoch = _batch.PartitionLeaderEpoch;
            if (_autoStore)
            {
                // enable.auto.offset.store: what is handed over is what the next commit covers.
                partition.StoredOffset = offset + 1;
                partition.StoredLeaderEpoch = _batch.PartitionLeaderEpoch;
            }
            sink.Accept(new ConsumedRecord(partition.Topic, partition.Partition, offset, timestamp, _batch.PartitionLeaderEpoch, record));
            delivered++;
        }
        return delivered;
    }

    private void FinishBatch()
    {
        _inBatch = false;
        if (Partition.Position < _batch.NextOffset)
        {
            Partition.Position = _batch.NextOffset;
        }
        ReleaseDecompressed();
    }

    private bool OpenNextBatch()
    {
        var records = _records.Span;
        var partition = Partition;
        while (true)
        {
            if (records.Length - _next < RecordBatchHeader.HeaderSize
                || !RecordBatchHeader.TryRead(records[_next..], out var header))
            {
                return false;
            }
            if (header.Magic != RecordBatchHeader.CurrentMagic || header.BatchLength < RecordBatchHeader.MinBatchLength)
            {
                throw Corrupt($"a batch at offset {header.BaseOffset} has magic {header.Magic} and length {header.BatchLength}");
            }
            if (header.TotalSize > records.Length - _next)
            {
                return false;
            }
            var batch = _records.Slice(_next, (int)header.TotalSize);
            _next += (int)header.TotalSize;
            if (_aborted is not null)
            {
                // Every aborted transaction that starts at or before this batch's end is open from here on.
                while (_abortedIndex < _aborted.Count && _aborted[_abortedIndex].FirstOffset <= header.LastOffset)
                {
                    (_abortedProducers ??= []).Add(_aborted[_abortedIndex++].ProducerId);
                }
            }
            if (header.NextOffset <= partition.Position)
            {
                continue;
            }
            if (_checkCrcs && !RecordBatch.IsCrcValid(batch.Span))
            {
                throw Corrupt($"the batch at offset {header.BaseOffset} fails its CRC check");
            }
            if (header.IsControl)
            {
                if (_abortedProducers is not null && header.IsTransactional
                    && EndTransactionMarker.TryRead(batch.Span, out var type, out _) && type == ControlRecordType.Abort)
                {
                    _abortedProducers.Remove(header.ProducerId);
                }
                partition.Position = header.NextOffset;
                continue;
            }
            if (header.IsTransactional && _abortedProducers is not null && _abortedProducers.Contains(header.ProducerId))
            {
                partition.Position = header.NextOffset;
                continue;
            }
            _batch = header;
            if (header.Compression == CompressionType.None)
            {
                _payload = batch[RecordBatchHeader.RecordsOffset..];
            }
            else
            {
                _decompressed = new PooledBufferWriter(Math.Max(4096, (int)header.TotalSize * 4));
                try
                {
                    CompressionCodec.Decompress(header.Compression, batch[RecordBatchHeader.RecordsOffset..], _decompressed,
                        RecordValidationPolicy.DefaultMaxDecompressedBytes);
                }
                catch (Exception e) when (e is CorruptCompressedDataException or DecompressionLimitExceededException or InvalidRecordException)
                {
                    ReleaseDecompressed();
                    throw Corrupt($"the {header.Compression} batch at offset {header.BaseOffset} does not decompress: {e.Message}", e);
                }
                _payload = _decompressed.WrittenMemory;
            }
            _payloadPosition = 0;
            _inBatch = true;
            return true;
        }
    }

    private ConsumeException Corrupt(string message, Exception? inner = null)
    {
        IsDrained = true;
        return new ConsumeException(ErrorCode.CorruptMessage, $"{Partition.TopicPartition}: {message}",
            new TopicPartitionOffset(Partition.TopicPartition, Partition.Position), inner);
    }

    private void ReleaseDecompressed()
    {
        _decompressed?.Dispose();
        _decompressed = null;
        _payload = default;
    }

    /// <summary>The offset after the last whole batch in <paramref name="records"/>, or -1 when there is none.</summary>
    public static long NextOffsetAfter(ReadOnlySpan<byte> records)
    {
        long next = -1;
        int position = 0;
        while (records.Length - position >= RecordBatchHeader.HeaderSize
            && RecordBatchHeader.TryRead(records[position..], out var header)
            && header.BatchLength >= RecordBatchHeader.MinBatchLength
            && header.TotalSize <= records.Length - position)
        {
            next = header.NextOffset;
            position += (int)header.TotalSize;
        }
        return next;
    }

    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            IsDrained = true;
            ReleaseDecompressed();
            _owner.Release();
        }
    }
}
