using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// A client-side assignment strategy of the classic group protocol: every member names the strategies it
/// supports in JoinGroup, the coordinator picks one all support, and the leader runs it over every member's
/// subscription. Implementations are pure functions of their inputs, stateless and thread-safe.
/// </summary>
public interface IPartitionAssignor
{
    /// <summary>The protocol name sent in JoinGroup ("range", "roundrobin", "cooperative-sticky").</summary>
    string Name { get; }

    RebalanceProtocol Protocol { get; }

    /// <summary>
    /// The user data this member puts in its subscription, given what it holds now and the generation it got
    /// it in (-1 before the first assignment); null when the strategy needs none.
    /// </summary>
    byte[]? SubscriptionUserData(IReadOnlyCollection<TopicPartition> ownedPartitions, int generationId);

    /// <summary>
    /// Computes every member's partitions. <paramref name="partitionsPerTopic"/> holds the partition count of
    /// each subscribed topic the leader found in metadata; topics missing from it are not assigned.
    /// The result has an entry for every member, with its partitions sorted by topic and partition.
    /// </summary>
    IReadOnlyDictionary<string, ConsumerProtocolAssignment> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions);
}
