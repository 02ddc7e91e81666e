using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// The "range" strategy (Java's RangeAssignor, librdkafka's range): topic by topic, the topic's subscribers
/// in member order each get one consecutive run of partitions; when the count does not divide evenly the
/// first members get one more. Members with the same subscription therefore get the same partition numbers
/// of co-partitioned topics. Rack-aware placement (KIP-881) is not done. Stateless and thread-safe.
/// </summary>
public sealed class RangeAssignor : IPartitionAssignor
{
    public const string StrategyName = "range";

    public string Name => StrategyName;

    public RebalanceProtocol Protocol => RebalanceProtocol.Eager;

    public byte[]? SubscriptionUserData(IReadOnlyCollection<TopicPartition> ownedPartitions, int generationId) => null;

    public IReadOnlyDictionary<string, ConsumerProtocolAssignment> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions)
    {
        var members = AssignorInputs.SortedMembers(subscriptions);
        var assigned = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        foreach (string member in members)
        {
            assigned[member] = [];
        }

        var subscribersByTopic = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string member in members)
        {
            foreach (string topic in subscriptions[member].Topics.Distinct(StringComparer.Ordinal))
            {
                if (partitionsPerTopic.ContainsKey(topic))
                {
                    if (!subscribersByTopic.TryGetValue(topic, out var subscribers))
                    {
                        subscribersByTopic[topic] = subscribers = [];
                    }
                    subscribers.Add(member);
                }
            }
        }

        foreach (var (topic, subscribers) in subscribersByTopic)
        {
            int partitionCount = Math.Max(0, partitionsPerTopic[topic]);
            int each = partitionCount / subscribers.Count;
            int withExtra = partitionCount % subscribers.Count;
            int next = 0;
            for (int i = 0; i < subscribers.Count; i++)
            {
                int count = each + (i < withExtra ? 1 : 0);
                var partitions = assigned[subscribers[i]];
                for (int p = next; p < next + count; p++)
                {
                    partitions.Add(new TopicPartition(topic, p));
                }
                next += count;
            }
        }
        return AssignorInputs.ToAssignments(assigned);
    }
}
