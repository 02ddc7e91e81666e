using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Assignors;

/// <summary>
/// Plays a group's members through successive rebalances with one assignor, the way consumers would: each
/// member reports what it owns and the generation it got it in (half as a v2 field, half in the assignor's
/// user data as a v1 member does), then takes its new assignment. Checks on every round that the assignment is
/// valid and that nobody receives a partition another member still owns, unless it owns it too.
/// </summary>
internal sealed class GroupSimulation(
    IPartitionAssignor assignor,
    Dictionary<string, int> partitionsPerTopic,
    Dictionary<string, string[]> topics,
    Random random)
{
    private readonly Dictionary<string, List<TopicPartition>> _owned = [];
    private readonly Dictionary<string, int> _ownedGeneration = [];
    private int _generation;

    public Dictionary<string, MemberSubscription> Subscriptions()
    {
        var result = new Dictionary<string, MemberSubscription>();
        foreach (var (member, memberTopics) in topics)
        {
            var owned = _owned.GetValueOrDefault(member) ?? [];
            int generation = _ownedGeneration.GetValueOrDefault(member, -1);
            bool generationInUserData = member[^1] % 2 == 0;
            result[member] = new MemberSubscription
            {
                Topics = memberTopics,
                OwnedPartitions = owned,
                GenerationId = generationInUserData ? -1 : generation,
                UserData = generationInUserData ? assignor.SubscriptionUserData(owned, generation) : null,
            };
        }
        return result;
    }

    public Dictionary<string, List<TopicPartition>> OwnedSnapshot() =>
        topics.Keys.ToDictionary(m => m, m => (_owned.GetValueOrDefault(m) ?? []).ToList());

    public IReadOnlyDictionary<string, ConsumerProtocolAssignment> Rebalance(string context)
    {
        _generation++;
        var subscriptions = Subscriptions();
        var result = assignor.Assign(partitionsPerTopic, subscriptions);
        AssignmentCheck.AssertValid(partitionsPerTopic, subscriptions, result, complete: false, context);

        var claimants = new Dictionary<TopicPartition, List<string>>();
        foreach (var (member, owned) in _owned)
        {
            foreach (var partition in owned)
            {
                claimants.TryAdd(partition, []);
                claimants[partition].Add(member);
            }
        }
        foreach (var (member, assignment) in result)
        {
            foreach (var partition in assignment.Partitions)
            {
                if (claimants.TryGetValue(partition, out var owners))
                {
                    Assert.True(owners.Contains(member),
                        $"{context}: {partition} given to {member} while {string.Join(",", owners)} still owns it");
                }
            }
        }

        // Whatever is left out must be owned by someone who now has to revoke it.
        var given = result.Values.SelectMany(a => a.Partitions).ToHashSet();
        foreach (var topic in topics.Values.SelectMany(t => t).Distinct().Where(partitionsPerTopic.ContainsKey))
        {
            for (int p = 0; p < partitionsPerTopic[topic]; p++)
            {
                var partition = new TopicPartition(topic, p);
                Assert.True(given.Contains(partition) || claimants.ContainsKey(partition), $"{context}: {partition} left out for no reason");
            }
        }

        foreach (var (member, assignment) in result)
        {
            _owned[member] = assignment.Partitions.ToList();
            _ownedGeneration[member] = _generation;
        }
        return result;
    }

    /// <summary>Rebalances until nothing waits for a revocation; that must take at most a few rounds.</summary>
    public IReadOnlyDictionary<string, ConsumerProtocolAssignment> RebalanceUntilComplete(string context)
    {
        for (int round = 0; round < 4; round++)
        {
            var result = Rebalance($"{context} round {round}");
            var subscriptions = Subscriptions();
            bool complete = topics.Values.SelectMany(t => t).Distinct().Where(partitionsPerTopic.ContainsKey)
                .Sum(t => partitionsPerTopic[t]) == result.Values.Sum(a => a.Partitions.Count);
            if (complete)
            {
                AssignmentCheck.AssertValid(partitionsPerTopic, subscriptions, result, complete: true, context);
                return result;
            }
        }
        Assert.Fail($"{context}: still incomplete after 4 rebalances");
        return null;
    }

    /// <summary>A member joins, leaves (its partitions simply vanish, as after a crash) or changes its topics.</summary>
    public void ChangeMembership(bool sameSubscription)
    {
        var allTopics = partitionsPerTopic.Keys.ToList();
        switch (random.Next(3))
        {
            case 0:
                string joined;
                do
                {
                    joined = RandomGroups.NewMemberId(random);
                }
                while (topics.ContainsKey(joined));
                topics[joined] = sameSubscription ? topics.Values.First() : RandomGroups.RandomTopics(random, allTopics);
                break;
            case 1 when topics.Count > 1:
                string left = topics.Keys.OrderBy(m => m, StringComparer.Ordinal).ElementAt(random.Next(topics.Count));
                topics.Remove(left);
                _owned.Remove(left);
                _ownedGeneration.Remove(left);
                break;
            default:
                if (!sameSubscription)
                {
                    string changed = topics.Keys.OrderBy(m => m, StringComparer.Ordinal).ElementAt(random.Next(topics.Count));
                    topics[changed] = RandomGroups.RandomTopics(random, allTopics);
                }
                break;
        }
    }
}
