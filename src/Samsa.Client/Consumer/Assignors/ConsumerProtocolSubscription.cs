using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// A member's JoinGroup metadata for protocol type "consumer" (Kafka's ConsumerProtocolSubscription).
/// Fields a version does not carry keep their defaults. Immutable.
/// </summary>
public sealed record ConsumerProtocolSubscription
{
    /// <summary>The version written on encode; after decode, the version found on the wire (may exceed the highest known).</summary>
    public short Version { get; init; } = ConsumerProtocolCodec.HighestSubscriptionVersion;

    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>Assignor-specific bytes, opaque to the broker.</summary>
    public byte[]? UserData { get; init; }

    /// <summary>The partitions the member holds as it joins (v1+).</summary>
    public IReadOnlyList<TopicPartition> OwnedPartitions { get; init; } = [];

    /// <summary>The generation in which the member got <see cref="OwnedPartitions"/> (v2+); -1 when unknown.</summary>
    public int GenerationId { get; init; } = -1;

    /// <summary>The member's client.rack (v3+).</summary>
    public string? RackId { get; init; }
}
