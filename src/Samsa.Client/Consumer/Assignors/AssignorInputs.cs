using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>Helpers the assignors share for ordering members and building results. Stateless.</summary>
internal static class AssignorInputs
{
    /// <summary>
    /// Member ids in the order the Java client's assignors use: static members first, by group.instance.id,
    /// then dynamic members by member id (ordinal comparison, as Java's String.compareTo).
    /// </summary>
    public static List<string> SortedMembers(IReadOnlyDictionary<string, MemberSubscription> subscriptions)
    {
        var members = subscriptions.Keys.ToList();
        members.Sort((a, b) => CompareMembers(a, subscriptions[a].GroupInstanceId, b, subscriptions[b].GroupInstanceId));
        return members;
    }

    /// <summary>The partitions of every topic some member subscribes to and metadata knows, by topic then partition.</summary>
    public static List<TopicPartition> SortedPartitions(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions)
    {
        var topics = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var subscription in subscriptions.Values)
        {
            foreach (string topic in subscription.Topics)
            {
                if (partitionsPerTopic.ContainsKey(topic))
                {
                    topics.Add(topic);
                }
            }
        }
        var partitions = new List<TopicPartition>();
        foreach (string topic in topics)
        {
            int count = partitionsPerTopic[topic];
            for (int p = 0; p < count; p++)
            {
                partitions.Add(new TopicPartition(topic, p));
            }
        }
        return partitions;
    }

    /// <summary>Turns per-member partition lists into assignments, sorting each list.</summary>
    public static Dictionary<string, ConsumerProtocolAssignment> ToAssignments(Dictionary<string, List<TopicPartition>> partitionsByMember)
    {
        var result = new Dictionary<string, ConsumerProtocolAssignment>(partitionsByMember.Count, StringComparer.Ordinal);
        foreach (var (member, partitions) in partitionsByMember)
        {
            partitions.Sort(ComparePartitions);
            result[member] = new ConsumerProtocolAssignment { Partitions = partitions };
        }
        return result;
    }

    public static int ComparePartitions(TopicPartition a, TopicPartition b)
    {
        int byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.CompareTo(b.Partition);
    }

    private static int CompareMembers(string memberA, string? instanceA, string memberB, string? instanceB)
    {
        if (instanceA is not null && instanceB is not null)
        {
            int byInstance = string.CompareOrdinal(instanceA, instanceB);
            return byInstance != 0 ? byInstance : string.CompareOrdinal(memberA, memberB);
        }
        if (instanceA is not null)
        {
            return -1;
        }
        if (instanceB is not null)
        {
            return 1;
        }
        return string.CompareOrdinal(memberA, memberB);
    }
}
