namespace Samsa.Protocol;

/// <summary>A topic name and a partition index: the unit of ordering and storage.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}
