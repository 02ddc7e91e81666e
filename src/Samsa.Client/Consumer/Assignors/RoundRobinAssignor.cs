using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// The "roundrobin" strategy (Java's RoundRobinAssignor, librdkafka's roundrobin): every subscribed partition,
/// sorted by topic then partition, goes to the next member in a circle over the members in member order,
/// skipping members not subscribed to that partition's topic. Stateless and thread-safe.
/// </summary>
public sealed class RoundRobinAssignor : IPartitionAssignor
{
    public const string StrategyName = "roundrobin";

    public string Name => StrategyName;

    public RebalanceProtocol Protocol => RebalanceProtocol.Eager;

    public byte[]? SubscriptionUserData(IReadOnlyCollection<TopicPartition> ownedPartitions, int generationId) => null;

    public IReadOnlyDictionary<string, ConsumerProtocolAssignment> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions)
    {
        var members = AssignorInputs.SortedMembers(subscriptions);
        var topicsOf = members.Select(m => new HashSet<string>(subscriptions[m].Topics, StringComparer.Ordinal)).ToList();
        var assigned = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        foreach (string member in members)
        {
            assigned[member] = [];
        }

        int next = 0;
        foreach (var partition in AssignorInputs.SortedPartitions(partitionsPerTopic, subscriptions))
        {
            // Some member subscribes to every listed partition's topic, so this stops within one circle.
            while (!topicsOf[next].Contains(partition.Topic))
            {
                next = (next + 1) % members.Count;
            }
            assigned[members[next]].Add(partition);
            next = (next + 1) % members.Count;
        }
        return AssignorInputs.ToAssignments(assigned);
    }
}
