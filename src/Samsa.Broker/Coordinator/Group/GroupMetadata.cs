using Samsa.Broker.Purgatory;
using Samsa.Protocol;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>
/// A committed offset as stored in __consumer_offsets. <see cref="RecordOffset"/> is the base offset of the batch that
/// holds its record (-1 while unknown): a transactional offset that commits replaces a committed one only when its
/// record was appended later, as Kafka decides.
/// </summary>
internal readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs)
{
    public long RecordOffset { get; init; } = -1;

    /// <summary>True when this offset's record precedes <paramref name="other"/>'s in the log.</summary>
    public bool IsOlderThan(CommittedOffset other) => RecordOffset < other.RecordOffset;
}

/// <summary>
/// A consumer group: state, generation, members, and its committed offsets.
/// Not thread-safe: every access holds <see cref="Lock"/>.
/// </summary>
internal sealed class GroupMetadata(string groupId)
{
    public Lock Lock { get; } = new();

    public string GroupId { get; } = groupId;

    public GroupState State { get; private set; } = GroupState.Empty;

    public long StateTimestampMs { get; private set; }

    public int GenerationId { get; set; }

    public string? ProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public string? LeaderId { get; set; }

    public Dictionary<string, MemberMetadata> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>group.instance.id -> member id of the static member holding it.</summary>
    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet.</summary>
    public HashSet<string> PendingMembers { get; } = new(StringComparer.Ordinal);

    public Dictionary<TopicPartition, CommittedOffset> Offsets { get; } = new();

    /// <summary>
    /// Transactional offsets (TxnOffsetCommit) whose records are in the log but whose transaction has no marker yet, per
    /// producer id. OffsetFetch does not see them; the COMMIT marker moves them into <see cref="Offsets"/>.
    /// </summary>
    public Dictionary<long, Dictionary<TopicPartition, CommittedOffset>> PendingTxnOffsets { get; } = new();

    /// <summary>True when some producer's open transaction holds an offset of this partition.</summary>
    public bool HasPendingTxnOffset(TopicPartition partition)
    {
        foreach (var pending in PendingTxnOffsets.Values)
        {
            if (pending.ContainsKey(partition))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Ends a producer's transaction for this group: on commit each pending offset becomes the committed one unless a
    /// committed offset with a later record exists; on abort they are dropped. Returns how many offsets it applied.
    /// </summary>
    public int CompletePendingTxnOffsets(long producerId, bool commit)
    {
        if (!PendingTxnOffsets.Remove(producerId, out var pending) || !commit)
        {
            return 0;
        }
        int applied = 0;
        foreach (var (partition, offset) in pending)
        {
            if (!Offsets.TryGetValue(partition, out var current) || current.IsOlderThan(offset))
            {
                Offsets[partition] = offset;
                applied++;
            }
        }
        return applied;
    }

    /// <summary>The delayed join: completes the rebalance at its deadline.</summary>
    public TimerTask? RebalanceTimer { get; set; }

    /// <summary>While true the join waits out group.initial.rebalance.delay.ms even if everyone has joined.</summary>
    public bool InInitialDelay { get; set; }

    public void TransitionTo(GroupState state, long nowMs)
    {
        State = state;
        StateTimestampMs = nowMs;
    }

    public bool HasAllMembersJoined
    {
        get
        {
            if (PendingMembers.Count > 0)
            {
                return false;
            }
            foreach (var member in Members.Values)
            {
                if (member.AwaitingJoin is null)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public int MaxRebalanceTimeoutMs => Members.Count == 0 ? 0 : Members.Values.Max(m => m.RebalanceTimeoutMs);

    /// <summary>True when a member with these protocols may join: same type, and a protocol every member supports.</summary>
    public bool SupportsProtocols(string protocolType, List<(string Name, byte[] Metadata)> protocols)
    {
        if (protocols.Count == 0 || string.IsNullOrEmpty(protocolType))
        {
            return false;
        }
        if (Members.Count == 0)
        {
            return true;
        }
        if (ProtocolType != protocolType)
        {
            return false;
        }
        return CandidateProtocols().Overlaps(protocols.Select(p => p.Name));
    }

    /// <summary>Protocols every current member supports.</summary>
    public HashSet<string> CandidateProtocols()
    {
        HashSet<string>? candidates = null;
        foreach (var member in Members.Values)
        {
            var names = member.Protocols.Select(p => p.Name);
            if (candidates is null)
            {
                candidates = new HashSet<string>(names, StringComparer.Ordinal);
            }
            else
            {
                candidates.IntersectWith(names);
            }
        }
        return candidates ?? new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>Each member votes for its most preferred candidate; the most votes wins (ties: the leader's preference).</summary>
    public string SelectProtocol()
    {
        var candidates = CandidateProtocols();
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var member in Members.Values)
        {
            string choice = member.Protocols.First(p => candidates.Contains(p.Name)).Name;
            votes[choice] = votes.GetValueOrDefault(choice) + 1;
        }
        int best = votes.Values.Max();
        var leader = LeaderId is not null && Members.TryGetValue(LeaderId, out var l) ? l : Members.Values.First();
        return leader.Protocols.Select(p => p.Name).First(name => votes.GetValueOrDefault(name) == best);
    }
}
