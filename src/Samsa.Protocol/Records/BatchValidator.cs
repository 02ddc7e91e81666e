using System.Buffers;
using System.Buffers.Binary;
using Samsa.Protocol.Compression;

namespace Samsa.Protocol.Records;

/// <summary>
/// Checks the records of one partition of a Produce request (v3+) before they reach the log, with the error codes a
/// real broker returns. Thread-safe (stateless).
/// <list type="bullet">
/// <item>CorruptMessage: a truncated batch, a BatchLength below 49 or past the end, a CRC mismatch, or a compressed
/// payload the codec cannot decode;</item>
/// <item>UnsupportedForMessageFormat: magic other than 2;</item>
/// <item>UnsupportedCompressionType: a codec id above 4, or a codec whose native library is missing here;</item>
/// <item>InvalidRecord: no batch or more than one, a BaseOffset other than 0, a control batch, a transactional batch
/// without a producer id, a producer id without a sequence, RecordsCount &lt; 1, LastOffsetDelta != RecordsCount - 1,
/// records that do not parse, do not number 0..n-1 or do not exactly fill the (decompressed) payload, a payload that
/// decompresses past the bound, a record without a key on a compacted topic;</item>
/// <item>InvalidTimestamp: a CreateTime timestamp outside the topic's bounds, or a producer's batch marked LogAppendTime.</item>
/// </list>
/// </summary>
public static class BatchValidator
{
    /// <summary>
    /// Checks the framing and the batch header of <paramref name="records"/>, which must hold exactly one whole record
    /// batch v2 from a client, and the records themselves when the batch is uncompressed. Compressed batches get the
    /// header checks only: <see cref="ValidateProduceBatch"/> checks their records too. <paramref name="batchCount"/> is
    /// the number of framed batches seen and <paramref name="recordCount"/> the records of a valid batch.
    /// </summary>
    public static ErrorCode ValidateProduceRecords(ReadOnlySpan<byte> records, out int batchCount, out int recordCount)
    {
        recordCount = 0;
        ErrorCode error = ValidateFraming(records, out batchCount);
        if (error == ErrorCode.None)
        {
            error = ValidateHeader(records, out RecordBatchHeader header, out _);
            if (error == ErrorCode.None
                && header.Compression == CompressionType.None
                && !RecordsMatchHeader(records[RecordBatchHeader.RecordsOffset..(int)header.TotalSize], header.RecordsCount))
            {
                error = ErrorCode.InvalidRecord;
            }

            if (error == ErrorCode.None)
            {
                recordCount = header.RecordsCount;
            }
        }

        return error;
    }

    /// <summary>
    /// Fully validates the one record batch in <paramref name="records"/> as Kafka's log validator does: framing, header,
    /// and every record (decompressing a compressed payload as a stream, bounded by
    /// <see cref="RecordValidationPolicy.MaxDecompressedBytes"/>) against <paramref name="policy"/>. When
    /// <paramref name="decompressedRecords"/> is given and the batch is compressed, every decompressed byte is copied to
    /// it (for recompression); its content is meaningful only for a valid batch. Never throws for bad input.
    /// </summary>
    public static BatchValidationResult ValidateProduceBatch(
        ReadOnlyMemory<byte> records,
        in RecordValidationPolicy policy,
        IBufferWriter<byte>? decompressedRecords = null)
    {
        ReadOnlySpan<byte> span = records.Span;
        ErrorCode error = ValidateFraming(span, out _);
        if (error != ErrorCode.None)
        {
            return BatchValidationResult.Fail(error, "The records are not exactly one whole record batch v2.");
        }

        error = ValidateHeader(span, out RecordBatchHeader header, out string? reason);
        if (error != ErrorCode.None)
        {
            return BatchValidationResult.Fail(error, reason!);
        }

        var checks = new RecordChecks(policy, header);
        long uncompressedBytes;
        try
        {
            if (header.Compression == CompressionType.None)
            {
                ReadOnlySpan<byte> payload = span[RecordBatchHeader.RecordsOffset..(int)header.TotalSize];
                var reader = new RecordReader(payload);
                while (reader.MoveNext())
                {
                    Record record = reader.Current;
                    if (checks.Count == header.RecordsCount || !checks.Add(record.OffsetDelta, record.TimestampDelta, record.IsKeyNull))
                    {
                        return BatchValidationResult.Fail(ErrorCode.InvalidRecord, "Record offsets do not run 0..n-1 as the header says.");
                    }
                }

                uncompressedBytes = payload.Length;
            }
            else
            {
                ReadOnlyMemory<byte> payload = records[RecordBatchHeader.RecordsOffset..(int)header.TotalSize];
                using RecordsDecompressor decompressor = CompressionCodec.CreateDecompressor(header.Compression, payload, policy.MaxDecompressedBytes);
                using var scanner = new DecompressedRecordScanner(decompressor, decompressedRecords);
                while (scanner.MoveNext())
                {
                    if (checks.Count == header.RecordsCount || !checks.Add(scanner.OffsetDelta, scanner.TimestampDelta, scanner.IsKeyNull))
                    {
                        return BatchValidationResult.Fail(ErrorCode.InvalidRecord, "Record offsets do not run 0..n-1 as the header says.");
                    }
                }

                uncompressedBytes = scanner.Position;
            }
        }
        catch (InvalidRecordException e)
        {
            return BatchValidationResult.Fail(ErrorCode.InvalidRecord, e.Message);
        }
        catch (DecompressionLimitExceededException e)
        {
            return BatchValidationResult.Fail(ErrorCode.InvalidRecord, e.Message);
        }
        catch (CorruptCompressedDataException e)
        {
            return BatchValidationResult.Fail(ErrorCode.CorruptMessage, e.Message);
        }
        catch (CompressionLibraryMissingException e)
        {
            return BatchValidationResult.Fail(ErrorCode.UnsupportedCompressionType, e.Message);
        }

        if (checks.Count != header.RecordsCount)
        {
            return BatchValidationResult.Fail(ErrorCode.InvalidRecord, $"The batch holds {checks.Count} records but its header says {header.RecordsCount}.");
        }

        if (checks.TimestampError is { } timestampError)
        {
            return BatchValidationResult.Fail(ErrorCode.InvalidTimestamp, timestampError);
        }

        if (checks.KeyError is { } keyError)
        {
            return BatchValidationResult.Fail(ErrorCode.InvalidRecord, keyError);
        }

        return new BatchValidationResult(ErrorCode.None, checks.Count, checks.MaxTimestamp, uncompressedBytes, null);
    }

    private static ErrorCode ValidateFraming(ReadOnlySpan<byte> records, out int batchCount)
    {
        batchCount = 0;
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

        return batchCount == 1 ? ErrorCode.None : ErrorCode.InvalidRecord;
    }

    private static ErrorCode ValidateHeader(ReadOnlySpan<byte> batch, out RecordBatchHeader header, out string? reason)
    {
        RecordBatchHeader.TryRead(batch, out header);
        (ErrorCode error, reason) = header switch
        {
            _ when !RecordBatch.IsCrcValid(batch) => (ErrorCode.CorruptMessage, "The batch's CRC does not match its contents."),
            { Attributes: var a } when (a & RecordBatchHeader.CompressionMask) > (int)CompressionType.Zstd =>
                (ErrorCode.UnsupportedCompressionType, $"Unknown compression type {a & RecordBatchHeader.CompressionMask}."),
            { BaseOffset: not 0 } => (ErrorCode.InvalidRecord, $"The batch's BaseOffset must be 0, not {header.BaseOffset}."),
            { IsControl: true } => (ErrorCode.InvalidRecord, "Clients may not write control batches."),
            { IsTransactional: true, HasProducerId: false } => (ErrorCode.InvalidRecord, "A transactional batch needs a producer id."),
            { HasProducerId: true, BaseSequence: < 0 } => (ErrorCode.InvalidRecord, $"Invalid sequence {header.BaseSequence} for producer id {header.ProducerId}."),
            { RecordsCount: < 1 } => (ErrorCode.InvalidRecord, $"Invalid record count {header.RecordsCount}."),
            _ when header.LastOffsetDelta != header.RecordsCount - 1 =>
                (ErrorCode.InvalidRecord, $"LastOffsetDelta {header.LastOffsetDelta} does not match {header.RecordsCount} records."),
            _ => (ErrorCode.None, null),
        };
        return error;
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
