using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>
/// Reads a __consumer_offsets partition from its log start to its end, decoding every record with the facts of its
/// batch that loading needs: the batch's base offset, its producer id and whether it is transactional; a COMMIT or
/// ABORT control batch comes back as one entry with <see cref="LoggedEntry.Marker"/> set.
/// </summary>
internal static class OffsetsTopicReader
{
    /// <summary>One record of the partition (or one end-transaction marker) and the batch it came in.</summary>
    internal readonly record struct LoggedEntry(OffsetsTopicRecords.Entry? Entry, long BatchBaseOffset, long ProducerId, bool IsTransactional,
        ControlRecordType? Marker);

    public static List<LoggedEntry> ReadAll(PartitionLog log)
    {
        var entries = new List<LoggedEntry>();
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            if (header.IsControl)
            {
                if (header.IsTransactional && EndTransactionMarker.TryRead(batch, out var type, out _))
                {
                    entries.Add(new LoggedEntry(null, header.BaseOffset, header.ProducerId, true, type));
                }
                return true;
            }
            if (header.Compression != CompressionType.None)
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
                    entries.Add(new LoggedEntry(entry, header.BaseOffset, header.ProducerId, header.IsTransactional, null));
                }
            }
            return true;
        });
        return entries;
    }
}
