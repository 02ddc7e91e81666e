using System.Buffers.Binary;
using Samsa.Protocol.Compression;

namespace Samsa.Protocol.Records;

/// <summary>
/// Converts whole record batches v2 between codecs. Only the payload after the 61-byte header is compressed; the
/// records inside do not change (offset and timestamp deltas are relative), so a batch keeps its records, producer
/// fields and timestamps while its attributes, BatchLength and CRC are rewritten. Thread-safe (stateless).
/// </summary>
public static class RecordBatchCompression
{
    /// <summary>
    /// Appends to <paramref name="destination"/> a batch with the header of <paramref name="templateHeader"/> (its first
    /// 61 bytes), the codec bits set to <paramref name="codec"/>, and <paramref name="uncompressedRecords"/> compressed
    /// with it; BatchLength and CRC are computed. Returns the new batch's size.
    /// </summary>
    public static int WriteBatch(ReadOnlySpan<byte> templateHeader, ReadOnlySpan<byte> uncompressedRecords, CompressionType codec, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (templateHeader.Length < RecordBatchHeader.HeaderSize)
        {
            throw new ArgumentException("A record batch header needs 61 bytes.", nameof(templateHeader));
        }

        int start = destination.WrittenCount;
        templateHeader[..RecordBatchHeader.HeaderSize].CopyTo(destination.GetSpan(RecordBatchHeader.HeaderSize));
        destination.Advance(RecordBatchHeader.HeaderSize);
        CompressionCodec.Compress(codec, uncompressedRecords, destination);

        Span<byte> batch = destination.WrittenSpan[start..];
        short attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]);
        attributes = (short)((attributes & ~RecordBatchHeader.CompressionMask) | (int)codec);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        RecordBatch.WriteCrc(batch);
        return batch.Length;
    }

    /// <summary>The uncompressed batch <paramref name="uncompressedBatch"/> compressed with <paramref name="codec"/>.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> uncompressedBatch, CompressionType codec)
    {
        if (!RecordBatchHeader.TryRead(uncompressedBatch, out RecordBatchHeader header) || header.TotalSize > uncompressedBatch.Length)
        {
            throw new ArgumentException("Not a whole record batch.", nameof(uncompressedBatch));
        }

        if (header.Compression != CompressionType.None)
        {
            throw new ArgumentException("The batch is already compressed.", nameof(uncompressedBatch));
        }

        using var writer = new PooledBufferWriter((int)header.TotalSize);
        WriteBatch(uncompressedBatch, uncompressedBatch[RecordBatchHeader.RecordsOffset..(int)header.TotalSize], codec, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The batch <paramref name="batch"/> with its payload decompressed (codec bits 0, new length and CRC), at most
    /// <paramref name="maxDecompressedBytes"/> of records. An uncompressed batch is returned as a copy.
    /// </summary>
    public static byte[] Decompress(ReadOnlyMemory<byte> batch, long maxDecompressedBytes = RecordValidationPolicy.DefaultMaxDecompressedBytes)
    {
        if (!RecordBatchHeader.TryRead(batch.Span, out RecordBatchHeader header) || header.TotalSize > batch.Length)
        {
            throw new ArgumentException("Not a whole record batch.", nameof(batch));
        }

        using var writer = new PooledBufferWriter((int)header.TotalSize * 4);
        batch.Span[..RecordBatchHeader.HeaderSize].CopyTo(writer.GetSpan(RecordBatchHeader.HeaderSize));
        writer.Advance(RecordBatchHeader.HeaderSize);
        CompressionCodec.Decompress(header.Compression, batch[RecordBatchHeader.RecordsOffset..(int)header.TotalSize], writer, maxDecompressedBytes);

        Span<byte> result = writer.WrittenSpan;
        short attributes = (short)(header.Attributes & ~RecordBatchHeader.CompressionMask);
        BinaryPrimitives.WriteInt16BigEndian(result[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(result[RecordBatchHeader.BatchLengthOffset..], result.Length - RecordBatchHeader.LogOverhead);
        RecordBatch.WriteCrc(result);
        return result.ToArray();
    }
}
