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
    public static (long Offset, long Timestamp) Find(PartitionLog log, long targetTimestamp, long maxOffsetExclusive)
    {
        long from = log.LogStartOffset;
        (long Offset, long Timestamp) found = (-1, -1);
        LogBatchScanner.Scan(log, from, maxOffsetExclusive, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            if (header.MaxTimestamp < targetTimestamp || header.LastOffset < from)
            {
                return true;
            }
            found = ExactRecord(header, batch, targetTimestamp);
            return false;
        });
        return found;
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
