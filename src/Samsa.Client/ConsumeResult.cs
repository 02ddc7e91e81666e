using Samsa.Protocol;

namespace Samsa.Client;

/// <summary>A record read by a consumer, or the end of a partition (with enable.partition.eof).</summary>
public sealed class ConsumeResult<TKey, TValue>
{
    public string Topic { get; init; } = "";

    public int Partition { get; init; }

    public Offset Offset { get; init; }

    /// <summary>The partition's leader epoch when the record was written, or -1.</summary>
    public int LeaderEpoch { get; init; } = -1;

    public Message<TKey, TValue> Message { get; init; } = null!;

    public bool IsPartitionEOF { get; init; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public TopicPartitionOffset TopicPartitionOffset => new(Topic, Partition, Offset);
}
