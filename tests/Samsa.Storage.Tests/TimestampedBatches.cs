using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>Batches whose records carry chosen timestamps, and the answers a lookup by timestamp must give.</summary>
internal static class TimestampedBatches
{
    /// <summary>A batch with one record per timestamp (in that order), optionally compressed or stamped LogAppendTime.</summary>
    public static byte[] Make(long[] timestamps, CompressionType compression = CompressionType.None, long? logAppendTime = null, int padding = 0)
    {
        using var builder = new RecordBatchBuilder();
        foreach (long timestamp in timestamps)
        {
            builder.Append(timestamp, null, System.Text.Encoding.UTF8.GetBytes("t" + timestamp + new string('.', padding)));
        }

        byte[] batch = builder.ToArray();
        if (compression != CompressionType.None)
        {
            batch = RecordBatchCompression.Compress(batch, compression);
        }

        if (logAppendTime is { } appendTime)
        {
            RecordBatch.SetLogAppendTime(batch, appendTime);
        }

        return batch;
    }

    /// <summary>The first (offset, timestamp) in offset order whose timestamp is at or after the target, as Kafka answers.</summary>
    public static TimestampOffset? Expected(IReadOnlyList<(long Offset, long Timestamp)> records, long target, long fromOffset = 0)
    {
        foreach ((long offset, long timestamp) in records)
        {
            if (offset >= fromOffset && timestamp >= target)
            {
                return new TimestampOffset(timestamp, offset);
            }
        }

        return null;
    }

    /// <summary>The first record holding the largest timestamp.</summary>
    public static TimestampOffset? ExpectedMax(IReadOnlyList<(long Offset, long Timestamp)> records)
    {
        TimestampOffset? best = null;
        foreach ((long offset, long timestamp) in records)
        {
            if (timestamp >= 0 && (best is null || timestamp > best.Value.Timestamp))
            {
                best = new TimestampOffset(timestamp, offset);
            }
        }

        return best;
    }
}
