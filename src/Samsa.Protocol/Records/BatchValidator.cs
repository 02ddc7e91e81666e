using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// Checks the records of one partition of a Produce request (v3+) before they reach the log. Thread-safe (stateless).
/// </summary>
public static class BatchValidator
{
    /// <summary>
    /// Validates <paramref name="records"/>, which must hold exactly one whole record batch v2 from a client.
    /// Returns the Kafka error code a real broker returns:
    /// <list type="bullet">
    /// <item>CorruptMessage: a truncated batch, a BatchLength below 49 or past the end, or a CRC mismatch;</item>
    /// <item>UnsupportedForMessageFormat: magic other than 2;</item>
    /// <item>InvalidRecord: no batch or more than one, a control batch, a transactional batch without a
    /// producer id, a producer id without a sequence, RecordsCount &lt; 1, LastOffsetDelta != RecordsCount - 1, and for
    /// uncompressed batches records that do not parse, do not number 0..n-1 or do not exactly fill the batch.</item>
    /// </list>
    /// Compressed batches get the header checks only. <paramref name="batchCount"/> is the number of framed batches
    /// seen and <paramref name="recordCount"/> the records of a valid batch.
    /// </summary>
    public static ErrorCode ValidateProduceRecords(ReadOnlySpan<byte> records, out int batchCount, out int recordCount)
    {
        batchCount = 0;
        recordCount = 0;

        int position = 0;
        while (position < records.Length)
        {
            ReadOnlySpan<byte> remaining = records[position..];
            if (remaining.Length < RecordBatchHeader.LogOverhead)
            {
                return ErrorCode.CorruptMessage;
            }

            int batchLength = BinaryPrimitives.ReadInt32BigEndian(remaining[RecordBatchHeader.BatchLengthOffset..]);
            if (batchLength < 0 || batchLength > remaining.Length - RecordBatchHeader.LogOverhead)
            {
                return ErrorCode.CorruptMessage;
            }

            if (batchLength > RecordBatchHeader.MagicOffset - RecordBatchHeader.LogOverhead
                && remaining[RecordBatchHeader.MagicOffset] != RecordBatchHeader.CurrentMagic)
            {
                return ErrorCode.UnsupportedForMessageFormat;
            }

            if (batchLength < RecordBatchHeader.MinBatchLength)
            {
                return ErrorCode.CorruptMessage;
            }

            batchCount++;
            position += RecordBatchHeader.LogOverhead + batchLength;
        }

        if (batchCount != 1)
        {
            return ErrorCode.InvalidRecord;
        }

        ErrorCode error = ValidateBatch(records, out int count);
        if (error == ErrorCode.None)
        {
            recordCount = count;
        }

        return error;
    }

    private static ErrorCode ValidateBatch(ReadOnlySpan<byte> batch, out int recordCount)
    {
        recordCount = 0;
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        if (!RecordBatch.IsCrcValid(batch))
        {
            return ErrorCode.CorruptMessage;
        }

        if ((int)header.Compression > (int)CompressionType.Zstd)
        {
            return ErrorCode.CorruptMessage;
        }

        if (header.IsControl)
        {
            return ErrorCode.InvalidRecord;
        }

        if (header.IsTransactional && !header.HasProducerId)
        {
            return ErrorCode.InvalidRecord;
        }

        if (header.HasProducerId && header.BaseSequence < 0)
        {
            return ErrorCode.InvalidRecord;
        }

        if (header.RecordsCount < 1 || header.LastOffsetDelta != header.RecordsCount - 1)
        {
            return ErrorCode.InvalidRecord;
        }

        if (header.Compression == CompressionType.None
            && !RecordsMatchHeader(batch[RecordBatchHeader.RecordsOffset..(int)header.TotalSize], header.RecordsCount))
        {
            return ErrorCode.InvalidRecord;
        }

        recordCount = header.RecordsCount;
        return ErrorCode.None;
    }

    private static bool RecordsMatchHeader(ReadOnlySpan<byte> payload, int expectedCount)
    {
        try
        {
            var reader = new RecordReader(payload);
            int count = 0;
            while (reader.MoveNext())
            {
                if (count >= expectedCount || reader.Current.OffsetDelta != count)
                {
                    return false;
                }

                count++;
            }

            return count == expectedCount;
        }
        catch (InvalidRecordException)
        {
            return false;
        }
    }
}
