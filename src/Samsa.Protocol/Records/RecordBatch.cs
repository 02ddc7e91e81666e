using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// In-place edits of a record batch v2 held in a span that starts at the batch's first byte
/// (see <see cref="RecordBatchHeader"/> for the layout). Methods that touch the CRC-covered part use
/// the batch's own BatchLength to find its end, so the span may extend past the batch. Thread-safe (stateless).
/// </summary>
public static class RecordBatch
{
    /// <summary>Writes BaseOffset. It is outside the CRC, so the CRC stays valid.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    /// <summary>Writes PartitionLeaderEpoch. It is outside the CRC, so the CRC stays valid.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int partitionLeaderEpoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], partitionLeaderEpoch);

    /// <summary>The CRC-32C of the bytes from Attributes (offset 21) to the end of the batch.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(CrcCovered(batch));

    /// <summary>True when the stored CRC matches the batch's bytes.</summary>
    public static bool IsCrcValid(ReadOnlySpan<byte> batch) =>
        ComputeCrc(batch) == BinaryPrimitives.ReadUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..]);

    /// <summary>Computes the CRC and stores it in the header.</summary>
    public static void WriteCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..], ComputeCrc(batch));

    /// <summary>
    /// Sets the timestamp type bit and MaxTimestamp, then recomputes the CRC (both fields are covered by it).
    /// </summary>
    public static void SetMaxTimestamp(Span<byte> batch, TimestampType timestampType, long maxTimestamp)
    {
        short attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]);
        attributes = timestampType == TimestampType.LogAppendTime
            ? (short)(attributes | RecordBatchHeader.TimestampTypeMask)
            : (short)(attributes & ~RecordBatchHeader.TimestampTypeMask);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
        WriteCrc(batch);
    }

    /// <summary>Marks the batch LogAppendTime with the broker's clock and recomputes the CRC.</summary>
    public static void SetLogAppendTime(Span<byte> batch, long logAppendTime) =>
        SetMaxTimestamp(batch, TimestampType.LogAppendTime, logAppendTime);

    private static ReadOnlySpan<byte> CrcCovered(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < RecordBatchHeader.HeaderSize)
        {
            RecordThrowHelper.ThrowArgument("A record batch needs at least 61 bytes.", nameof(batch));
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..]);
        if (batchLength < RecordBatchHeader.MinBatchLength || batchLength > batch.Length - RecordBatchHeader.LogOverhead)
        {
            RecordThrowHelper.ThrowArgument("The batch length field does not fit the span.", nameof(batch));
        }

        return batch.Slice(
            RecordBatchHeader.AttributesOffset,
            RecordBatchHeader.LogOverhead + batchLength - RecordBatchHeader.AttributesOffset);
    }
}
