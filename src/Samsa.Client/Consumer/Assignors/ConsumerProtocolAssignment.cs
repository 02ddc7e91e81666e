using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// One member's share of a rebalance, as the leader sends it in SyncGroup for protocol type "consumer"
/// (Kafka's ConsumerProtocolAssignment); also what an assignor returns. Immutable.
/// </summary>
public sealed record ConsumerProtocolAssignment
{
    /// <summary>The version written on encode; after decode, the version found on the wire.</summary>
    public short Version { get; init; } = ConsumerProtocolCodec.HighestAssignmentVersion;

    public required IReadOnlyList<TopicPartition> Partitions { get; init; }

    /// <summary>Assignor-specific bytes for the member.</summary>
    public byte[]? UserData { get; init; }
}
