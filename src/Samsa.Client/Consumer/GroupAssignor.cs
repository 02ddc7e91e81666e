using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;

namespace Samsa.Client.Consumer;

/// <summary>A member as JoinGroup reports it to the leader: its id, static instance id and protocol metadata.</summary>
internal readonly record struct JoinedMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

/// <summary>
/// What the group membership code needs from an assignment strategy: the JoinGroup metadata this member sends, the
/// topics in another member's metadata, the leader's assignment (member id to SyncGroup bytes) and the decoding of
/// this member's share. Implementations are stateless and thread-safe.
/// </summary>
internal interface IGroupAssignor
{
    /// <summary>The protocol name in JoinGroup.</summary>
    string Name { get; }

    /// <summary>True for KIP-429 assignors: members keep their partitions while rejoining.</summary>
    bool IsCooperative { get; }

    byte[] Subscription(IReadOnlyList<string> topics, IReadOnlyCollection<TopicPartition> owned, int generationId);

    IReadOnlyList<string> SubscribedTopics(byte[] metadata);

    Dictionary<string, byte[]> Assign(IReadOnlyList<JoinedMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic);

    IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment);
}

/// <summary>
/// An <see cref="IPartitionAssignor"/> (range, roundrobin, cooperative-sticky) speaking the consumer protocol through
/// <see cref="ConsumerProtocolCodec"/>: subscriptions carry the owned partitions and their generation, which the
/// sticky assignor needs. Stateless.
/// </summary>
internal sealed class ConsumerProtocolAssignor(IPartitionAssignor assignor) : IGroupAssignor
{
    public string Name => assignor.Name;

    public bool IsCooperative => assignor.Protocol == RebalanceProtocol.Cooperative;

    public byte[] Subscription(IReadOnlyList<string> topics, IReadOnlyCollection<TopicPartition> owned, int generationId) =>
        ConsumerProtocolCodec.EncodeSubscription(new ConsumerProtocolSubscription
        {
            Topics = topics,
            OwnedPartitions = [.. owned],
            GenerationId = generationId,
            UserData = assignor.SubscriptionUserData(owned, generationId),
        });

    public IReadOnlyList<string> SubscribedTopics(byte[] metadata) => ConsumerProtocolCodec.DecodeSubscription(metadata).Topics;

    public Dictionary<string, byte[]> Assign(IReadOnlyList<JoinedMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var subscriptions = new Dictionary<string, MemberSubscription>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            subscriptions[member.MemberId] = MemberSubscription.From(ConsumerProtocolCodec.DecodeSubscription(member.Metadata), member.GroupInstanceId);
        }
        var assignments = assignor.Assign(partitionsPerTopic, subscriptions);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var assignment = assignments.GetValueOrDefault(member.MemberId) ?? new ConsumerProtocolAssignment { Partitions = [] };
            result[member.MemberId] = ConsumerProtocolCodec.EncodeAssignment(assignment);
        }
        return result;
    }

    public IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment) =>
        assignment.Length < 2 ? [] : ConsumerProtocolCodec.DecodeAssignment(assignment).Partitions;
}
