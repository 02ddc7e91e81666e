using Samsa.Protocol;

namespace Samsa.Client;

/// <summary>A partition and a position in it.</summary>
public readonly record struct TopicPartitionOffset(string Topic, int Partition, Offset Offset)
{
    public TopicPartitionOffset(TopicPartition topicPartition, Offset offset)
        : this(topicPartition.Topic, topicPartition.Partition, offset)
    {
    }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public override string ToString() => $"{Topic} [{Partition}] @{Offset}";
}

/// <summary>The first offset still in a partition and the offset after its last readable record.</summary>
public readonly record struct WatermarkOffsets(Offset Low, Offset High);
