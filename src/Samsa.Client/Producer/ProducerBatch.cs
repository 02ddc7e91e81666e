using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Samsa.Client.Network;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Client.Producer;

/// <summary>
/// One record batch on its way to a partition: records are appended into a pooled buffer until it is full or
/// lingered long enough; then it is sealed (header, compression, producer id and sequence, CRC) and sent, and sent
/// again unchanged on a retry, so the broker can recognize it as a duplicate. Keeps, per record that asked for one,
/// the delivery handler and token. Not thread-safe: guarded by its <see cref="PartitionState"/>'s lock until sealed,
/// then owned by the sender.
/// </summary>
internal sealed class ProducerBatch
{
    private readonly RecordBatchBuilder _builder;
    private PooledBufferWriter? _compressed;
    private DeliverySlot[] _slots = [];
    private int _slotCount;

    private ArraySegment<byte> _bytes;

    public ProducerBatch(PartitionState partition, int capacity, long createdAtMs, ArrayPool<byte> pool)
    {
        Partition = partition;
        _builder = new RecordBatchBuilder(capacity, pool);
        CreatedAtMs = createdAtMs;
    }

    public PartitionState Partition { get; }

    public long CreatedAtMs { get; }

    public int RecordCount => _builder.Count;

    /// <summary>Bytes of records so far (uncompressed), header included.</summary>
    public int SizeInBytes => _builder.SizeInBytes;

    /// <summary>Bytes counted against buffer.memory for this batch.</summary>
    public long ReservedBytes { get; set; }

    public bool IsSealed { get; private set; }

    /// <summary>The first record's sequence, or -1 before the batch is first sent by an idempotent producer.</summary>
    public int BaseSequence { get; private set; } = RecordBatchHeader.NoSequence;

    public int Attempts { get; set; }

    /// <summary>When the last send failed (<see cref="Environment.TickCount64"/>), for retry.backoff.ms.</summary>
    public long RetryNotBeforeMs { get; set; }

    /// <summary>The bytes to send, once sealed, as records the connection writes from their own buffer.</summary>
    public ReadOnlyMemory<byte> Payload { get; private set; }

    /// <summary>Bytes of the sealed batch.</summary>
    public int PayloadLength => _bytes.Count;

    public long MaxTimestamp => _builder.MaxTimestamp;

    /// <summary>True when a record of this many payload bytes still fits (the first record always fits).</summary>
    public bool HasRoomFor(int recordBytes, int batchSize) => _builder.Count == 0 || _builder.SizeInBytes + recordBytes <= batchSize;

    public void Append(long timestampMs, in ProduceRecord record, IDeliveryHandler? handler, long token)
    {
        int index = _builder.Count;
        _builder.Append(timestampMs, record.Key, record.KeyIsNull, record.Value, record.ValueIsNull, record.Headers);
        if (handler is not null)
        {
            if (_slotCount == _slots.Length)
            {
                GrowSlots();
            }
            _slots[_slotCount++] = new DeliverySlot(handler, token, index, timestampMs);
        }
    }

    private void GrowSlots()
    {
        var larger = ArrayPool<DeliverySlot>.Shared.Rent(Math.Max(64, _slots.Length * 2));
        _slots.AsSpan().CopyTo(larger);
        ReturnSlots();
        _slots = larger;
    }

    /// <summary>
    /// Writes the header (with the producer fields, so the CRC is computed once) and compresses. An idempotent
    /// producer passes the batch's first sequence; otherwise it is -1.
    /// </summary>
    public void Seal(CompressionType codec, bool transactional, long producerId, short producerEpoch, int baseSequence)
    {
        _builder.IsTransactional = transactional;
        _builder.ProducerId = producerId;
        _builder.ProducerEpoch = producerEpoch;
        _builder.BaseSequence = baseSequence;
        BaseSequence = baseSequence;
        var batch = _builder.Build();
        if (codec != CompressionType.None)
        {
            _compressed = new PooledBufferWriter(Math.Max(1024, batch.Length / 2));
            RecordBatchCompression.WriteBatch(batch.Span, batch.Span[RecordBatchHeader.RecordsOffset..], codec, _compressed);
            batch = _compressed.WrittenMemory;
        }
        if (!MemoryMarshal.TryGetArray<byte>(batch, out var bytes))
        {
            throw new InvalidOperationException("a batch buffer is an array");
        }
        _bytes = bytes;
        Payload = new ArrayRecords(bytes).Memory;
        IsSealed = true;
    }

    /// <summary>Writes a new producer id, epoch and base sequence into the sealed batch and recomputes its CRC.</summary>
    public void Stamp(long producerId, short producerEpoch, int baseSequence)
    {
        BaseSequence = baseSequence;
        var span = _bytes.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatchHeader.ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(span[RecordBatchHeader.ProducerEpochOffset..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.BaseSequenceOffset..], baseSequence);
        RecordBatch.WriteCrc(span);
    }

    /// <summary>Forgets the sequence so that the batch is stamped again (after the producer id was reset).</summary>
    public void ClearSequence() => BaseSequence = RecordBatchHeader.NoSequence;

    /// <summary>Tells every record's handler where it was written (or why not).</summary>
    public void Complete(long baseOffset, long logAppendTimeMs, Protocol.ErrorCode error, string? reason)
    {
        string topic = Partition.Topic;
        int partition = Partition.Partition;
        for (int i = 0; i < _slotCount; i++)
        {
            ref readonly var slot = ref _slots[i];
            long offset = error == Protocol.ErrorCode.None && baseOffset >= 0 ? baseOffset + slot.Index : -1;
            var info = logAppendTimeMs >= 0
                ? new DeliveryInfo(topic, partition, offset, logAppendTimeMs, TimestampType.LogAppendTime, error, reason)
                : new DeliveryInfo(topic, partition, offset, slot.TimestampMs, TimestampType.CreateTime, error, reason);
            try
            {
                slot.Handler.OnDelivery(slot.Token, info);
            }
            catch (Exception)
            {
                // A throwing handler must not stop the other records' reports or the sender.
            }
        }
    }

    /// <summary>Returns the pooled buffers; the batch is not used afterwards.</summary>
    public void Release()
    {
        _builder.Dispose();
        _compressed?.Dispose();
        _compressed = null;
        ReturnSlots();
        _slots = [];
        _slotCount = 0;
    }

    private void ReturnSlots()
    {
        if (_slots.Length > 0)
        {
            ArrayPool<DeliverySlot>.Shared.Return(_slots, clearArray: true);
        }
    }

    private readonly record struct DeliverySlot(IDeliveryHandler Handler, long Token, int Index, long TimestampMs);
}
