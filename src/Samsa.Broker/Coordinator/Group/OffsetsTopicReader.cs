using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>Reads a __consumer_offsets partition from its log start to its end, decoding every record.</summary>
internal static class OffsetsTopicReader
{
    public static List<OffsetsTopicRecords.Entry> ReadAll(PartitionLog log)
    {
        var entries = new List<OffsetsTopicRecords.Entry>();
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            if (header.IsControl || header.Compression != CompressionType.None)
            {
                return true;
            }
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
            return true;
        });
        return entries;
    }
}
