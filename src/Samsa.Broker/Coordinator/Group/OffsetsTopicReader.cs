using System.Buffers;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>Reads a __consumer_offsets partition from its log start to its end, decoding every record.</summary>
internal static class OffsetsTopicReader
{
    private const int ChunkBytes = 4 * 1024 * 1024;

    public static List<OffsetsTopicRecords.Entry> ReadAll(PartitionLog log)
    {
        var entries = new List<OffsetsTopicRecords.Entry>();
        long offset = log.LogStartOffset;
        long end = log.LogEndOffset;
        while (offset < end)
        {
            var read = log.Read(offset, ChunkBytes, minOneBatch: true, end);
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
                    if (!header.IsControl && header.Compression == CompressionType.None)
                    {
                        foreach (var record in RecordReader.FromBatch(batch))
                        {
                            if (record.IsKeyNull)
                            {
                                continue;
                            }
                            var entry = OffsetsTopicRecords.Decode(record.Key, record.Value, record.IsValueNull);
                            if (entry is not null)
                            {
                                entries.Add(entry);
                            }
                        }
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
        return entries;
    }
}
