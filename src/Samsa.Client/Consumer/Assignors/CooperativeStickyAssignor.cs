using System.Buffers.Binary;
using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// The "cooperative-sticky" strategy (KIP-429 over the sticky rules of KIP-54), compatible with Java's
/// CooperativeStickyAssignor and librdkafka's cooperative-sticky:
/// <list type="bullet">
/// <item>Balanced: once partitions held back for revocation are handed over, no partition can move to a
/// member holding at least two fewer, even along a chain of moves, so members with the same subscription
/// differ by at most one partition.</item>
/// <item>Sticky: a member keeps what it owned as far as balance allows. A partition's owner is the member
/// that claims it (owned partitions, subscription v1+) with the highest generation (subscription v2+, else
/// the user data); two claims at the same generation cancel each other, and a claim on a topic the member no
/// longer subscribes to does not count.</item>
/// <item>Cooperative: a member receives a partition now only if it claims it itself or nobody claims it.
/// One that changes hands is first only revoked (left out of everyone's assignment) and is assigned in the
/// follow-up rebalance the revoking member triggers, so the new owner never fetches it while the old one
/// still does.</item>
/// </list>
/// Subscription user data is the Java form: the int32 generation of the owned partitions. When decoding
/// others' user data, librdkafka's sticky form ([topic [partition]] then int32 generation) is understood too.
/// Stateless and thread-safe.
/// </summary>
public sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    public const string StrategyName = "cooperative-sticky";

    public string Name => StrategyName;

    public RebalanceProtocol Protocol => RebalanceProtocol.Cooperative;

    public byte[]? SubscriptionUserData(IReadOnlyCollection<TopicPartition> ownedPartitions, int generationId)
    {
        var data = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(data, generationId);
        return data;
    }

    public IReadOnlyDictionary<string, ConsumerProtocolAssignment> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> subscriptions)
    {
        var members = AssignorInputs.SortedMembers(subscriptions);
        var state = new AssignmentState(members, partitionsPerTopic, subscriptions);
        state.KeepOwnedPartitions();
        state.AssignUnownedPartitions(AssignorInputs.SortedPartitions(partitionsPerTopic, subscriptions));
        state.Balance();

        var result = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        for (int m = 0; m < members.Count; m++)
        {
            result[members[m]] = state.PartitionsGivenNow(m);
        }
        return AssignorInputs.ToAssignments(result);
    }

    /// <summary>
    /// The generation a subscription's owned partitions belong to: its v2+ field, else the user data's, else -1.
    /// </summary>
    internal static int GenerationOf(MemberSubscription subscription)
    {
        if (subscription.GenerationId >= 0 || subscription.UserData is not { Length: >= 4 } data)
        {
            return subscription.GenerationId;
        }
        if (data.Length == 4)
        {
            return BinaryPrimitives.ReadInt32BigEndian(data);
        }
        try
        {
            var reader = new ProtocolReader(data);
            ConsumerProtocolCodec.ReadTopicPartitions(ref reader, "previous assignment");
            return reader.Remaining >= 4 ? reader.ReadInt32() : -1;
        }
        catch (ProtocolException)
        {
            return -1;
        }
    }

    /// <summary>The working assignment of one Assign call; members are referred to by their index in member order.</summary>
    private sealed class AssignmentState
    {
        private const int Unreachable = int.MaxValue;

        private readonly IReadOnlyDictionary<string, int> _partitionsPerTopic;
        private readonly int _memberCount;
        private readonly HashSet<string>[] _topicsOf;
        private readonly Dictionary<string, int> _subscriberCount = new(StringComparer.Ordinal);

        // Every member claiming each partition, and the one claim that counts for stickiness.
        private readonly Dictionary<TopicPartition, List<int>> _claimants = [];
        private readonly Dictionary<TopicPartition, int> _stickyOwner = [];

        private readonly SortedSet<TopicPartition>[] _held;
        private readonly Dictionary<string, int>[] _heldPerTopic;
        private readonly Dictionary<string, int>[] _movablePerTopic; // held partitions the holder did not own

        public AssignmentState(
            List<string> members,
            IReadOnlyDictionary<string, int> partitionsPerTopic,
            IReadOnlyDictionary<string, MemberSubscription> subscriptions)
        {
            _partitionsPerTopic = partitionsPerTopic;
            _memberCount = members.Count;
            _topicsOf = new HashSet<string>[_memberCount];
            _held = new SortedSet<TopicPartition>[_memberCount];
            _heldPerTopic = new Dictionary<string, int>[_memberCount];
            _movablePerTopic = new Dictionary<string, int>[_memberCount];
            var comparer = Comparer<TopicPartition>.Create(AssignorInputs.ComparePartitions);
            for (int m = 0; m < _memberCount; m++)
            {
                _topicsOf[m] = new HashSet<string>(StringComparer.Ordinal);
                foreach (string topic in subscriptions[members[m]].Topics)
                {
                    if (partitionsPerTopic.ContainsKey(topic) && _topicsOf[m].Add(topic))
                    {
                        _subscriberCount[topic] = _subscriberCount.GetValueOrDefault(topic) + 1;
                    }
                }
                _held[m] = new SortedSet<TopicPartition>(comparer);
                _heldPerTopic[m] = new Dictionary<string, int>(StringComparer.Ordinal);
                _movablePerTopic[m] = new Dictionary<string, int>(StringComparer.Ordinal);
            }
            ResolveOwners(members, subscriptions);
        }

        public void KeepOwnedPartitions()
        {
            foreach (var (partition, owner) in _stickyOwner)
            {
                Add(owner, partition);
            }
        }

        /// <summary>
        /// Gives each partition nobody kept to its least loaded subscriber, partitions with the fewest possible
        /// subscribers first so that the flexible ones can even out the rest.
        /// </summary>
        public void AssignUnownedPartitions(List<TopicPartition> allPartitions)
        {
            var unowned = allPartitions.Where(p => !_stickyOwner.ContainsKey(p)).ToList();
            unowned.Sort((a, b) =>
            {
                int bySubscribers = _subscriberCount[a.Topic].CompareTo(_subscriberCount[b.Topic]);
                return bySubscribers != 0 ? bySubscribers : AssignorInputs.ComparePartitions(a, b);
            });
            foreach (var partition in unowned)
            {
                int target = -1;
                for (int m = 0; m < _memberCount; m++)
                {
                    if (_topicsOf[m].Contains(partition.Topic) && (target < 0 || _held[m].Count < _held[target].Count))
                    {
                        target = m;
                    }
                }
                Add(target, partition);
            }
        }

        /// <summary>
        /// Moves partitions along chains of members (each passing one partition to the next) from a member to
        /// one holding at least two fewer, until no such chain exists. Each chain lowers the sum of squared
        /// counts, so this ends, and at the end the counts are as even as the subscriptions allow. Chains that
        /// move partitions the holder did not own are preferred, to keep owned partitions in place.
        /// </summary>
        public void Balance()
        {
            while (TryFindChain(out var chain))
            {
                // From the receiving end back, so each link moves a partition its giver held before the chain.
                for (int i = chain.Count - 1; i > 0; i--)
                {
                    MoveOne(chain[i - 1], chain[i]);
                }
            }
        }

        /// <summary>What member <paramref name="m"/> receives now: its share minus partitions others claim and it does not.</summary>
        public List<TopicPartition> PartitionsGivenNow(int m)
        {
            var result = new List<TopicPartition>(_held[m].Count);
            foreach (var partition in _held[m])
            {
                if (!AwaitsRevocation(partition, m))
                {
                    result.Add(partition);
                }
            }
            return result;
        }

        private void ResolveOwners(List<string> members, IReadOnlyDictionary<string, MemberSubscription> subscriptions)
        {
            var bestGeneration = new Dictionary<TopicPartition, int>();
            var tied = new HashSet<TopicPartition>();
            for (int m = 0; m < _memberCount; m++)
            {
                var subscription = subscriptions[members[m]];
                int generation = GenerationOf(subscription);
                foreach (var partition in subscription.OwnedPartitions.Distinct())
                {
                    if (!_claimants.TryGetValue(partition, out var claimants))
                    {
                        _claimants[partition] = claimants = [];
                    }
                    claimants.Add(m);

                    if (!bestGeneration.TryGetValue(partition, out int best) || generation > best)
                    {
                        bestGeneration[partition] = generation;
                        _stickyOwner[partition] = m;
                        tied.Remove(partition);
                    }
                    else if (generation == best)
                    {
                        tied.Add(partition);
                    }
                }
            }
            foreach (var partition in _stickyOwner.Keys.ToList())
            {
                if (tied.Contains(partition) || !Exists(partition) || !_topicsOf[_stickyOwner[partition]].Contains(partition.Topic))
                {
                    _stickyOwner.Remove(partition);
                }
            }
        }

        private bool Exists(TopicPartition partition) =>
            _partitionsPerTopic.TryGetValue(partition.Topic, out int count) && partition.Partition >= 0 && partition.Partition < count;

        /// <summary>Whether another member claims the partition and <paramref name="m"/> does not, so it must be revoked first.</summary>
        private bool AwaitsRevocation(TopicPartition partition, int m) =>
            _claimants.TryGetValue(partition, out var claimants) && !claimants.Contains(m);

        private bool IsOwnedBy(TopicPartition partition, int m) => _stickyOwner.TryGetValue(partition, out int owner) && owner == m;

        private void Add(int m, TopicPartition partition)
        {
            _held[m].Add(partition);
            Increment(_heldPerTopic[m], partition.Topic, 1);
            if (!IsOwnedBy(partition, m))
            {
                Increment(_movablePerTopic[m], partition.Topic, 1);
            }
        }

        private void Remove(int m, TopicPartition partition)
        {
            _held[m].Remove(partition);
            Increment(_heldPerTopic[m], partition.Topic, -1);
            if (!IsOwnedBy(partition, m))
            {
                Increment(_movablePerTopic[m], partition.Topic, -1);
            }
        }

        private static void Increment(Dictionary<string, int> counts, string topic, int delta)
        {
            int value = counts.GetValueOrDefault(topic) + delta;
            if (value == 0)
            {
                counts.Remove(topic);
            }
            else
            {
                counts[topic] = value;
            }
        }

        /// <summary>
        /// Moves one partition <paramref name="to"/> can take from <paramref name="from"/>: preferably one
        /// <paramref name="to"/> owns, else one <paramref name="from"/> did not own, else any.
        /// </summary>
        private void MoveOne(int from, int to)
        {
            TopicPartition? chosen = null;
            int chosenRank = int.MaxValue;
            foreach (var partition in _held[from])
            {
                if (!_topicsOf[to].Contains(partition.Topic))
                {
                    continue;
                }
                int rank = IsOwnedBy(partition, to) ? 0 : IsOwnedBy(partition, from) ? 2 : 1;
                if (rank < chosenRank)
                {
                    chosen = partition;
                    chosenRank = rank;
                    if (rank == 0)
                    {
                        break;
                    }
                }
            }
            var moved = chosen ?? throw new InvalidOperationException($"member {from} holds nothing member {to} can take");
            Remove(from, moved);
            Add(to, moved);
        }

        /// <summary>
        /// The cost of passing a partition from <paramref name="from"/> to <paramref name="to"/>: 0 if one
        /// <paramref name="from"/> did not own can go, 1 if only owned ones can, -1 if none can.
        /// </summary>
        private int LinkCost(int from, int to)
        {
            int cost = -1;
            foreach (var (topic, _) in _heldPerTopic[from])
            {
                if (_topicsOf[to].Contains(topic))
                {
                    if (_movablePerTopic[from].ContainsKey(topic))
                    {
                        return 0;
                    }
                    cost = 1;
                }
            }
            return cost;
        }

        /// <summary>
        /// Finds a chain of members, first to last, along which passing one partition per link evens the
        /// counts: the last holds at least two fewer than the first. Among chains from the most loaded member
        /// that has one, picks the fewest owned partitions moved, then the least loaded receiver.
        /// </summary>
        private bool TryFindChain(out List<int> chain)
        {
            chain = [];
            if (_memberCount < 2)
            {
                return false;
            }
            int minCount = _held.Min(h => h.Count);
            var sources = Enumerable.Range(0, _memberCount)
                .Where(m => _held[m].Count >= minCount + 2)
                .OrderByDescending(m => _held[m].Count)
                .ThenBy(m => m)
                .ToList();

            var cost = new int[_memberCount];
            var previous = new int[_memberCount];
            foreach (int source in sources)
            {
                int sink = CheapestChain(source, cost, previous);
                if (sink >= 0)
                {
                    for (int m = sink; m != source; m = previous[m])
                    {
                        chain.Add(m);
                    }
                    chain.Add(source);
                    chain.Reverse();
                    return true;
                }
            }
            return false;
        }

        /// <summary>
        /// The end of the cheapest chain from <paramref name="source"/> to a member holding at least two fewer,
        /// or -1: a 0-1 breadth-first search over <see cref="LinkCost"/> that extends no chain costing as much
        /// as the best end found so far (among equally cheap ends, the least loaded is taken).
        /// </summary>
        private int CheapestChain(int source, int[] cost, int[] previous)
        {
            Array.Fill(cost, Unreachable);
            Array.Fill(previous, -1);
            int sinkLimit = _held[source].Count - 2;
            int sink = -1;
            cost[source] = 0;
            var queue = new LinkedList<int>();
            queue.AddFirst(source);
            var done = new bool[_memberCount];
            while (queue.First is { } first)
            {
                int from = first.Value;
                queue.RemoveFirst();
                if (done[from])
                {
                    continue;
                }
                done[from] = true;
                if (sink >= 0 && cost[from] >= cost[sink])
                {
                    break;
                }
                if (_held[from].Count <= sinkLimit)
                {
                    continue; // a chain ends at the first member that can take a partition
                }
                for (int to = 0; to < _memberCount; to++)
                {
                    if (to == from || done[to])
                    {
                        continue;
                    }
                    int link = LinkCost(from, to);
                    if (link < 0 || cost[from] + link >= cost[to])
                    {
                        continue;
                    }
                    cost[to] = cost[from] + link;
                    previous[to] = from;
                    if (link == 0)
                    {
                        queue.AddFirst(to);
                    }
                    else
                    {
                        queue.AddLast(to);
                    }
                    if (_held[to].Count <= sinkLimit && (sink < 0 || cost[to] < cost[sink] || (cost[to] == cost[sink] && IsBetterSink(to, sink))))
                    {
                        sink = to;
                    }
                }
            }
            return sink;
        }

        private bool IsBetterSink(int candidate, int current) =>
            _held[candidate].Count < _held[current].Count || (_held[candidate].Count == _held[current].Count && candidate < current);
    }
}
