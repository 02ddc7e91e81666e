using Samsa.Protocol;

namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// Keys and values of the records in __transaction_state, in Kafka's layouts (classic, non-flexible encoding,
/// big-endian), so the topic reads like Kafka's:
/// <list type="bullet">
/// <item>key: int16 version = 0, string transactional id</item>
/// <item>value v0: int16 version = 0, int64 producer id, int16 producer epoch, int32 transaction timeout ms,
/// int8 state (<see cref="TransactionState"/>), int32 topic count (-1, null, in the Empty state as Kafka writes it) then per topic: string topic,
/// int32 count + int32 partitions; int64 last update timestamp ms, int64 transaction start timestamp ms (-1 when no
/// transaction is open)</item>
/// </list>
/// A null value (tombstone) removes the transactional id. Keys of another version are skipped on load, as Kafka does.
/// This broker writes value v0; v1 (Kafka 4's flexible encoding: compact strings and arrays, tagged fields) is read too,
/// its tagged fields skipped.
/// Stateless and thread-safe.
/// </summary>
internal static class TransactionLogRecords
{
    public const short KeyVersion = 0;
    public const short ValueVersion = 0;

    public static byte[] Key(string transactionalId)
    {
        var buffer = new byte[2 + ProtocolSize.String(transactionalId, false)];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(KeyVersion);
        writer.WriteString(transactionalId, false);
        return buffer;
    }

    public static byte[] Value(TransactionLogValue value)
    {
        // Kafka writes a null partition array in the Empty state.
        var topics = value.State == TransactionState.Empty ? [] : GroupByTopic(value.Partitions);
        int size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
        foreach (var (topic, partitions) in topics)
        {
            size += ProtocolSize.String(topic, false) + 4 + (4 * partitions.Count);
        }
        var buffer = new byte[size];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(ValueVersion);
        writer.WriteInt64(value.ProducerId);
        writer.WriteInt16(value.ProducerEpoch);
        writer.WriteInt32(value.TimeoutMs);
        writer.WriteInt8((sbyte)value.State);
        writer.WriteArrayLength(value.State == TransactionState.Empty ? -1 : topics.Count, false);
        foreach (var (topic, partitions) in topics)
        {
            writer.WriteString(topic, false);
            writer.WriteArrayLength(partitions.Count, false);
            foreach (int p in partitions)
            {
                writer.WriteInt32(p);
            }
        }
        writer.WriteInt64(value.LastUpdateTimestampMs);
        writer.WriteInt64(value.StartTimestampMs);
        return buffer;
    }

    /// <summary>The transactional id of a key; null when the key's version is not one this broker knows.</summary>
    /// <exception cref="ProtocolException">The key is truncated or malformed.</exception>
    public static string? ReadKey(ReadOnlySpan<byte> key)
    {
        var reader = new ProtocolReader(key.ToArray());
        short version = reader.ReadInt16();
        return version == KeyVersion ? reader.ReadString(false) : null;
    }

    /// <exception cref="ProtocolException">The value is truncated or malformed.</exception>
    public static TransactionLogValue ReadValue(ReadOnlySpan<byte> value)
    {
        var reader = new ProtocolReader(value.ToArray());
        short version = reader.ReadInt16();
        if (version is < 0 or > 1)
        {
            throw new ProtocolException($"unknown __transaction_state value version {version}");
        }
        bool flexible = version >= 1;
        long producerId = reader.ReadInt64();
        short epoch = reader.ReadInt16();
        int timeoutMs = reader.ReadInt32();
        sbyte state = reader.ReadInt8();
        if (state < 0 || state > (sbyte)TransactionState.PrepareEpochFence)
        {
            throw new ProtocolException($"invalid transaction state {state}");
        }
        var partitions = new List<TopicPartition>();
        int topicCount = reader.ReadArrayLength(flexible);
        for (int t = 0; t < topicCount; t++)
        {
            string topic = reader.ReadString(flexible);
            int count = reader.ReadArrayLength(flexible);
            if (count > reader.Remaining / 4)
            {
                throw new ProtocolException($"partition count {count} exceeds the value's length");
            }
            for (int i = 0; i < count; i++)
            {
                partitions.Add(new TopicPartition(topic, reader.ReadInt32()));
            }
            if (flexible)
            {
                reader.SkipTaggedFields();
            }
        }
        long lastUpdate = reader.ReadInt64();
        long start = reader.ReadInt64();
        if (flexible)
        {
            reader.SkipTaggedFields();
        }
        return new TransactionLogValue(producerId, epoch, timeoutMs, (TransactionState)state, TransactionLogValue.Sorted(partitions), lastUpdate, start);
    }

    private static List<(string Topic, List<int> Partitions)> GroupByTopic(IReadOnlyList<TopicPartition> partitions)
    {
        var result = new List<(string, List<int>)>();
        foreach (var group in partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            result.Add((group.Key, group.Select(p => p.Partition).Distinct().Order().ToList()));
        }
        return result;
    }
}
