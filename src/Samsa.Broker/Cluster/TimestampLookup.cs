using System.Buffers;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// ListOffsets by timestamp: the first offset whose record timestamp is at or after the target.
/// Scans batch headers from the log start (the time index replaces the scan with the storage issue);
/// inside an uncompressed batch it finds the exact record, in a compressed one it answers the batch.
/// </summary>
internal static class TimestampLookup
{
    private const int ChunkBytes = 1024 * 1024;

    public static (long Offset, long Timestamp) Find(PartitionLog log, long targetTimestamp, long maxOffsetExclusive)
    {
        long offset = log.LogStartOffset;
        while (offset < maxOffsetExclusive)
        {
            var read = log.Read(offset, ChunkBytes, minOneBatch: true, maxOffsetExclusive);
            if (read.Error != Samsa.Protocol.ErrorCode.None || read.Length == 0)
            {
                break;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(read.Length);
            try
            {
                int length = read.CopyTo(buffer);
                var span = buffer.AsSpan(0, length);
                while (RecordBatchHeader.TryRead(span, out var header) && header.TotalSize <= span.Length)
                {
                    var batch = span[..(int)header.TotalSize];
                    if (header.MaxTimestamp >= targetTimestamp && header.LastOffset >= offset)
                    {
                        return ExactRecord(header, batch, targetTimestamp);
                    }
                    offset = header.NextOffset;
                    span = span[(int)header.TotalSize..];
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return (-1, -1);
    }

    private static (long Offset, long Timestamp) ExactRecord(in RecordBatchHeader header, ReadOnlySpan<byte> batch, long target)
    {
        if (header.Compression != CompressionType.None || header.TimestampType == TimestampType.LogAppendTime)
        {
            return (header.BaseOffset, header.MaxTimestamp);
        }
        foreach (var record in RecordReader.FromBatch(batch))
        {
            long timestamp = header.BaseTimestamp + record.TimestampDelta;
            if (timestamp >= target)
            {
                return (header.BaseOffset + record.OffsetDelta, timestamp);
            }
        }
        return (header.BaseOffset, header.MaxTimestamp);
    }
}
