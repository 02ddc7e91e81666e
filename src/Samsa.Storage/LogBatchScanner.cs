using System.Buffers;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>Receives one whole batch of a scan; returns false to stop the scan.</summary>
public delegate bool BatchVisitor(in RecordBatchHeader header, ReadOnlySpan<byte> batch);

/// <summary>
/// Walks the whole batches of a partition log in offset order, reading it in pooled chunks.
/// For cold paths (start-up loads, lookups without an index), not for fetches. Thread-safe as
/// <see cref="PartitionLog.Read"/> is.
/// </summary>
public static class LogBatchScanner
{
    private const int ChunkBytes = 4 * 1024 * 1024;

    /// <summary>Visits every batch holding an offset in [<paramref name="fromOffset"/>, <paramref name="toOffsetExclusive"/>).</summary>
    public static void Scan(PartitionLog log, long fromOffset, long toOffsetExclusive, BatchVisitor visitor)
    {
        long offset = fromOffset;
        while (offset < toOffsetExclusive)
        {
            var read = log.Read(offset, ChunkBytes, minOneBatch: true, toOffsetExclusive);
            if (read.Error != ErrorCode.None || read.Length == 0)
            {
                return;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(read.Length);
            try
            {
                var span = buffer.AsSpan(0, read.CopyTo(buffer));
                while (RecordBatchHeader.TryRead(span, out var header) && header.TotalSize <= span.Length)
                {
                    if (!visitor(header, span[..(int)header.TotalSize]))
                    {
                        return;
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
    }
}
