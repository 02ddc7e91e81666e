namespace Samsa.Interop.Tests.Model;

/// <summary>A topic's metadata as one client reported it.</summary>
public sealed record TopicMetadata(
    string Topic,
    int ErrorCode,
    IReadOnlyList<BrokerMetadata> Brokers,
    IReadOnlyList<PartitionMetadata> Partitions);
