using Samsa.Protocol;

namespace Samsa.Client.Admin;

/// <summary>A topic as Metadata describes it.</summary>
public sealed record TopicDescription(string Name, Uuid TopicId, bool IsInternal, IReadOnlyList<PartitionDescription> Partitions);

/// <summary>One partition: leader, replicas and in-sync replicas.</summary>
public sealed record PartitionDescription(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, ErrorCode Error);
