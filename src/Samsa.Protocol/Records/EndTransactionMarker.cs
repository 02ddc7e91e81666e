using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>The type of a control record: the end of a transaction, aborted or committed.</summary>
public enum ControlRecordType : short
{
    Abort = 0,
    Commit = 1,
}

/// <summary>
/// The control record that ends a transaction in one partition (Kafka's EndTransactionMarker). It is the only record of
/// a control batch (attributes transactional + control) carrying the producer's id and epoch:
/// key = version int16 (0) + type int16 (<see cref="ControlRecordType"/>); value = version int16 (0) + the coordinator
/// epoch int32 that wrote it. Stateless and thread-safe.
/// </summary>
public static class EndTransactionMarker
{
    private const short CurrentVersion = 0;
    private const int KeySize = 4;
    private const int ValueSize = 6;

    /// <summary>Builds the whole control batch (base offset 0, the broker assigns it) for the end of a transaction.</summary>
    public static byte[] BuildBatch(long producerId, short producerEpoch, int coordinatorEpoch, ControlRecordType type, long timestamp)
    {
        Span<byte> key = stackalloc byte[KeySize];
        BinaryPrimitives.WriteInt16BigEndian(key, CurrentVersion);
        BinaryPrimitives.WriteInt16BigEndian(key[2..], (short)type);
        Span<byte> value = stackalloc byte[ValueSize];
        BinaryPrimitives.WriteInt16BigEndian(value, CurrentVersion);
        BinaryPrimitives.WriteInt32BigEndian(value[2..], coordinatorEpoch);
        using var builder = new RecordBatchBuilder(RecordBatchHeader.HeaderSize + 32)
        {
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            IsTransactional = true,
            IsControl = true,
        };
        builder.Append(timestamp, key, false, value, false);
        return builder.ToArray();
    }

    /// <summary>
    /// Reads the marker of a control batch (uncompressed, as control batches always are): its type and the coordinator
    /// epoch. False when the batch is not a control batch or its record is not a readable end-transaction marker.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> batch, out ControlRecordType type, out int coordinatorEpoch)
    {
        type = default;
        coordinatorEpoch = -1;
        if (!RecordBatchHeader.TryRead(batch, out RecordBatchHeader header)
            || !header.IsControl
            || header.Compression != CompressionType.None
            || header.TotalSize > batch.Length
            || header.BatchLength < RecordBatchHeader.MinBatchLength)
        {
            return false;
        }

        try
        {
            foreach (Record record in RecordReader.FromBatch(batch))
            {
                return TryReadRecord(record.Key, record.Value, out type, out coordinatorEpoch);
            }
        }
        catch (InvalidRecordException)
        {
            return false;
        }

        return false;
    }

    /// <summary>Reads a control record's key and value (see the type's summary).</summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ControlRecordType type, out int coordinatorEpoch)
    {
        type = default;
        coordinatorEpoch = -1;
        if (key.Length < KeySize)
        {
            return false;
        }

        short rawType = BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        if (rawType is not ((short)ControlRecordType.Abort or (short)ControlRecordType.Commit))
        {
            return false;
        }

        type = (ControlRecordType)rawType;
        coordinatorEpoch = value.Length >= ValueSize ? BinaryPrimitives.ReadInt32BigEndian(value[2..]) : -1;
        return true;
    }
}
