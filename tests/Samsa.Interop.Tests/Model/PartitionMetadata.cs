namespace Samsa.Interop.Tests.Model;

/// <summary>One partition listed in a metadata answer.</summary>
public sealed record PartitionMetadata(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, int ErrorCode);
