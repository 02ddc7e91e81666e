using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;

namespace Samsa.Client.Admin;

/// <summary>
/// The partitions in a "consumer" group member's assignment, for describe-group; the format is
/// <see cref="ConsumerProtocolCodec"/>'s. Stateless and thread-safe.
/// </summary>
public static class ConsumerProtocol
{
    /// <summary>The assigned partitions; empty for an empty assignment (a member that has not synced yet).</summary>
    public static IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment) =>
        assignment.Length < 2 ? [] : ConsumerProtocolCodec.DecodeAssignment(assignment).Partitions;

    public static byte[] EncodeAssignment(IReadOnlyList<TopicPartition> partitions) =>
        ConsumerProtocolCodec.EncodeAssignment(new ConsumerProtocolAssignment { Version = 0, Partitions = partitions });
}
