using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Assignors;

/// <summary>Builders and invariant checks the assignor tests share.</summary>
internal static class AssignmentCheck
{
    public static MemberSubscription Member(params string[] topics) => new() { Topics = topics };

    public static MemberSubscription Owning(string[] topics, int generation, params string[] owned) => new()
    {
        Topics = topics,
        OwnedPartitions = owned.Select(Parse).ToList(),
        GenerationId = generation,
    };

    public static TopicPartition Parse(string partition)
    {
        int dash = partition.LastIndexOf('-');
        return new TopicPartition(partition[..dash], int.Parse(partition[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A member's partitions as "topic-partition" strings, in the assignor's order.</summary>
    public static string[] Of(IReadOnlyDictionary<string, ConsumerProtocolAssignment> result, string member) =>
        result[member].Partitions.Select(p => p.ToString()).ToArray();

    /// <summary>
    /// Every partition given goes to a member subscribed to its topic, exists, and is given at most once; when
    /// <paramref name="complete"/>, every partition of a subscribed topic is given.
    /// </summary>
    public static void AssertValid(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions,
        IReadOnlyDictionary<string, ConsumerProtocolAssignment> result,
        bool complete,
        string context)
    {
        Assert.True(subscriptions.Keys.ToHashSet().SetEquals(result.Keys), $"{context}: result names other members");
        var given = new Dictionary<TopicPartition, string>();
        foreach (var (member, assignment) in result)
        {
            foreach (var partition in assignment.Partitions)
            {
                Assert.True(subscriptions[member].Topics.Contains(partition.Topic), $"{context}: {partition} given to {member}, which does not subscribe to it");
                Assert.True(partition.Partition >= 0 && partition.Partition < partitionsPerTopic[partition.Topic], $"{context}: {partition} does not exist");
                Assert.True(given.TryAdd(partition, member), $"{context}: {partition} given to {given.GetValueOrDefault(partition)} and {member}");
            }
        }
        if (complete)
        {
            foreach (var topic in subscriptions.Values.SelectMany(s => s.Topics).Distinct().Where(partitionsPerTopic.ContainsKey))
            {
                for (int p = 0; p < partitionsPerTopic[topic]; p++)
                {
                    Assert.True(given.ContainsKey(new TopicPartition(topic, p)), $"{context}: {topic}-{p} not given to anyone");
                }
            }
        }
    }

    /// <summary>
    /// Balance as Java's sticky assignors define it: no member holds a partition that a member with at least two
    /// fewer partitions could take; in particular members with the same subscription differ by at most one.
    /// </summary>
    public static void AssertBalanced(
        IReadOnlyDictionary<string, MemberSubscription> subscriptions,
        IReadOnlyDictionary<string, ConsumerProtocolAssignment> result,
        string context)
    {
        foreach (var (rich, richAssignment) in result)
        {
            foreach (var (poor, poorAssignment) in result)
            {
                if (richAssignment.Partitions.Count < poorAssignment.Partitions.Count + 2)
                {
                    continue;
                }
                var movable = richAssignment.Partitions.FirstOrDefault(p => subscriptions[poor].Topics.Contains(p.Topic));
                Assert.True(movable == default,
                    $"{context}: {rich} holds {richAssignment.Partitions.Count}, {poor} holds {poorAssignment.Partitions.Count} and could take {movable}");
            }
        }
    }
}
