using System.Collections.Frozen;
using Samsa.Protocol;

namespace Samsa.Client.Network;

/// <summary>A broker as the metadata names it.</summary>
public sealed record BrokerNode(int NodeId, string Host, int Port, string? Rack);

/// <summary>One partition's leader, from the metadata.</summary>
public readonly record struct PartitionMetadata(int Partition, int Leader, int LeaderEpoch, ErrorCode Error);

/// <summary>One topic's partitions, from the metadata; <see cref="Error"/> is set when the topic is unusable.</summary>
public sealed record TopicMetadata(string Name, ErrorCode Error, PartitionMetadata[] Partitions, bool IsInternal);

/// <summary>
/// A snapshot of what the cluster said about its brokers and topics. Immutable: a refresh publishes a new
/// snapshot, so readers never lock.
/// </summary>
public sealed class ClusterMetadata
{
    public static readonly ClusterMetadata Empty = new([], new Dictionary<string, TopicMetadata>(), -1, 0);

    public ClusterMetadata(IEnumerable<BrokerNode> brokers, IReadOnlyDictionary<string, TopicMetadata> topics, int controllerId, long updatedAtMs)
    {
        Brokers = brokers.ToFrozenDictionary(b => b.NodeId);
        Topics = topics.ToFrozenDictionary(StringComparer.Ordinal);
        ControllerId = controllerId;
        UpdatedAtMs = updatedAtMs;
    }

    public FrozenDictionary<int, BrokerNode> Brokers { get; }

    public FrozenDictionary<string, TopicMetadata> Topics { get; }

    public int ControllerId { get; }

    /// <summary><see cref="Environment.TickCount64"/> when the cluster answered.</summary>
    public long UpdatedAtMs { get; }

    public TopicMetadata? Topic(string name) => Topics.GetValueOrDefault(name);

    /// <summary>The leader of a partition, or -1 when it has none or is unknown.</summary>
    public int LeaderFor(string topic, int partition)
    {
        var t = Topic(topic);
        return t is not null && (uint)partition < (uint)t.Partitions.Length && t.Partitions[partition].Error == ErrorCode.None
            ? t.Partitions[partition].Leader : -1;
    }
}
