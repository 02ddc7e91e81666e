using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Broker.Purgatory;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>
/// Kafka's classic consumer-group coordinator: join/sync/heartbeat/leave, generations, session and
/// rebalance timeouts on the timing wheel, static membership, and committed offsets kept in the
/// compacted __consumer_offsets topic (group -> partition by the Java hash of the group id).
/// On a single broker this broker coordinates every group.
/// Thread-safe: each group is guarded by its own lock; responses that must wait (join, sync) are
/// completed through TaskCompletionSources outside any lock.
/// </summary>
internal sealed partial class GroupCoordinator : IDisposable
{
    public const string OffsetsTopic = "__consumer_offsets";

    private readonly BrokerConfig _config;
    private readonly TopicManager _topics;
    private readonly ReplicaManager _replicas;
    private readonly SystemTimer _timer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, GroupMetadata> _groups = new(StringComparer.Ordinal);
    private readonly Lock _offsetsTopicLock = new();
    private TimerTask? _retentionTask;

    public GroupCoordinator(BrokerConfig config, TopicManager topics, ReplicaManager replicas, SystemTimer timer, TimeProvider time, ILogger logger)
    {
        _config = config;
        _topics = topics;
        _replicas = replicas;
        _timer = timer;
        _time = time;
        _logger = logger;
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The __consumer_offsets partition that stores a group: Kafka's abs(groupId.hashCode()) % partitions.</summary>
    public int PartitionFor(string groupId) => PartitionFor(groupId, OffsetsPartitionCount);

    private static int PartitionFor(string groupId, int partitionCount)
    {
        int hash = 0;
        foreach (char c in groupId)
        {
            hash = unchecked((31 * hash) + c);
        }
        int positive = hash == int.MinValue ? 0 : Math.Abs(hash);
        return positive % partitionCount;
    }

    private int OffsetsPartitionCount =>
        _topics.TryGetTopic(OffsetsTopic, out var topic) ? topic.PartitionCount : _config.OffsetsTopicNumPartitions;

    /// <summary>Creates __consumer_offsets (compacted, offsets.topic.num.partitions) on first use, as Kafka does.</summary>
    public void EnsureOffsetsTopic()
    {
        if (_topics.TryGetTopic(OffsetsTopic, out _))
        {
            return;
        }
        lock (_offsetsTopicLock)
        {
            if (_topics.TryGetTopic(OffsetsTopic, out _))
            {
                return;
            }
            var configs = new Dictionary<string, string>
            {
                ["cleanup.policy"] = "compact",
                ["segment.bytes"] = _config.OffsetsTopicSegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["compression.type"] = "producer",
            };
            _topics.CreateTopic(OffsetsTopic, _config.OffsetsTopicNumPartitions, configs, out _);
        }
    }

    /// <summary>Reloads every group and committed offset from __consumer_offsets and starts the retention check.</summary>
    public void Startup()
    {
        if (_topics.TryGetTopic(OffsetsTopic, out var topic))
        {
            int loaded = 0;
            for (int p = 0; p < topic.PartitionCount; p++)
            {
                var partition = _replicas.GetPartition(new TopicPartition(OffsetsTopic, p));
                if (partition is not null)
                {
                    loaded += LoadPartition(partition);
                }
            }
            foreach (var group in _groups.Values)
            {
                lock (group.Lock)
                {
                    foreach (var member in group.Members.Values)
                    {
                        ScheduleSessionExpiry(group, member);
                    }
                }
            }
            LogLoaded(_logger, _groups.Count, loaded);
        }
        ScheduleRetentionCheck();
    }

    /// <summary>
    /// Rebuilds the groups stored in one __consumer_offsets partition. Offsets of transactional batches are held per
    /// producer id until that producer's marker: COMMIT applies them (a committed offset with a later record wins), ABORT
    /// drops them, and a transaction still open at the log end stays pending for the marker to come. A non-transactional
    /// tombstone of an offset (group deletion) also drops the pending transactional offsets of that key, as deleting a
    /// group does while the broker runs.
    /// </summary>
    private int LoadPartition(Partition partition)
    {
        int records = 0;
        var stored = new Dictionary<string, OffsetsTopicRecords.StoredGroup?>(StringComparer.Ordinal);
        var offsets = new Dictionary<string, Dictionary<TopicPartition, CommittedOffset?>>(StringComparer.Ordinal);
        var pending = new Dictionary<long, Dictionary<string, Dictionary<TopicPartition, CommittedOffset>>>();
        foreach (var logged in OffsetsTopicReader.ReadAll(partition.Log))
        {
            records++;
            if (logged.Marker is { } marker)
            {
                if (pending.Remove(logged.ProducerId, out var ended) && marker == Samsa.Protocol.Records.ControlRecordType.Commit)
                {
                    foreach (var (groupId, txnOffsets) in ended)
                    {
                        var map = OffsetsOf(offsets, groupId);
                        foreach (var (tp, offset) in txnOffsets)
                        {
                            if (!map.TryGetValue(tp, out var current) || current is not { } committed || committed.IsOlderThan(offset))
                            {
                                map[tp] = offset;
                            }
                        }
                    }
                }
                continue;
            }
            switch (logged.Entry)
            {
                case OffsetsTopicRecords.OffsetEntry o when logged.IsTransactional:
                    if (!pending.TryGetValue(logged.ProducerId, out var byGroup))
                    {
                        pending[logged.ProducerId] = byGroup = new Dictionary<string, Dictionary<TopicPartition, CommittedOffset>>(StringComparer.Ordinal);
                    }
                    if (!byGroup.TryGetValue(o.Group, out var txnMap))
                    {
                        byGroup[o.Group] = txnMap = new Dictionary<TopicPartition, CommittedOffset>();
                    }
                    if (o.Offset is { } txnOffset)
                    {
                        txnMap[o.Partition] = txnOffset with { RecordOffset = logged.BatchBaseOffset };
                    }
                    else
                    {
                        txnMap.Remove(o.Partition);
                    }
                    break;
                case OffsetsTopicRecords.OffsetEntry o:
                    OffsetsOf(offsets, o.Group)[o.Partition] = o.Offset is { } value ? value with { RecordOffset = logged.BatchBaseOffset } : null;
                    if (o.Offset is null)
                    {
                        foreach (var byProducer in pending.Values)
                        {
                            if (byProducer.TryGetValue(o.Group, out var open))
                            {
                                open.Remove(o.Partition);
                            }
                        }
                    }
                    break;
                case OffsetsTopicRecords.GroupEntry g:
                    stored[g.Group] = g.Value;
                    break;
            }
        }
        foreach (var (groupId, value) in stored)
        {
            if (value is null)
            {
                continue;
            }
            var group = _groups.GetOrAdd(groupId, id => new GroupMetadata(id));
            group.GenerationId = value.Generation;
            group.ProtocolType = value.ProtocolType.Length == 0 ? null : value.ProtocolType;
            group.ProtocolName = value.Protocol;
            group.LeaderId = value.Leader;
            foreach (var m in value.Members)
            {
                var member = new MemberMetadata
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    RebalanceTimeoutMs = m.RebalanceTimeoutMs,
                    SessionTimeoutMs = m.SessionTimeoutMs,
                    ProtocolType = value.ProtocolType,
                    Protocols = [(value.Protocol ?? "", m.Subscription)],
                    Assignment = m.Assignment,
                };
                group.Members[member.MemberId] = member;
                if (member.GroupInstanceId is not null)
                {
                    group.StaticMembers[member.GroupInstanceId] = member.MemberId;
                }
            }
            group.TransitionTo(group.Members.Count > 0 ? GroupState.Stable : GroupState.Empty, value.StateTimestampMs >= 0 ? value.StateTimestampMs : NowMs);
        }
        foreach (var (groupId, map) in offsets)
        {
            if (map.Values.All(v => v is null))
            {
                continue;
            }
            var group = _groups.GetOrAdd(groupId, NewEmptyGroup);
            foreach (var (tp, offset) in map)
            {
                if (offset is { } value)
                {
                    group.Offsets[tp] = value;
                }
            }
        }
        foreach (var (producerId, byGroup) in pending)
        {
            foreach (var (groupId, txnMap) in byGroup)
            {
                if (txnMap.Count == 0)
                {
                    continue;
                }
                var group = _groups.GetOrAdd(groupId, NewEmptyGroup);
                group.PendingTxnOffsets[producerId] = txnMap;
                AddProducerGroup(producerId, groupId);
            }
        }
        return records;
    }

    private static Dictionary<TopicPartition, CommittedOffset?> OffsetsOf(Dictionary<string, Dictionary<TopicPartition, CommittedOffset?>> offsets, string groupId)
    {
        if (!offsets.TryGetValue(groupId, out var map))
        {
            offsets[groupId] = map = new Dictionary<TopicPartition, CommittedOffset?>();
        }
        return map;
    }

    // ---------------------------------------------------------------- JoinGroup

    public async Task<JoinGroupResponse> JoinGroupAsync(JoinGroupRequest request, short version, string clientId, string clientHost)
    {
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return JoinError(ErrorCode.InvalidGroupId, request.MemberId);
        }
        if (request.SessionTimeoutMs < _config.GroupMinSessionTimeoutMs || request.SessionTimeoutMs > _config.GroupMaxSessionTimeoutMs)
        {
            return JoinError(ErrorCode.InvalidSessionTimeout, request.MemberId);
        }
        EnsureOffsetsTopic();
        var protocols = request.Protocols.Select(p => (p.Name, p.Metadata)).ToList();
        int rebalanceTimeout = version >= 1 && request.RebalanceTimeoutMs > 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs;
        bool requireKnownMemberId = version >= 4;

        GroupMetadata group;
        if (request.MemberId.Length == 0)
        {
            group = _groups.GetOrAdd(request.GroupId, id => NewEmptyGroup(id));
        }
        else if (!_groups.TryGetValue(request.GroupId, out group!))
        {
            return JoinError(ErrorCode.UnknownMemberId, request.MemberId);
        }

        Task<JoinGroupResponse> pending;
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
            {
                return JoinError(ErrorCode.CoordinatorNotAvailable, request.MemberId);
            }
            if (!group.SupportsProtocols(request.ProtocolType, protocols))
            {
                return JoinError(ErrorCode.InconsistentGroupProtocol, request.MemberId);
            }
            if (request.MemberId.Length == 0)
            {
                if (group.Members.Count + group.PendingMembers.Count >= _config.GroupMaxSize
                    && !(request.GroupInstanceId is not null && group.StaticMembers.ContainsKey(request.GroupInstanceId)))
                {
                    return JoinError(ErrorCode.GroupMaxSizeReached, request.MemberId);
                }
                string memberId = $"{clientId}-{Guid.NewGuid()}";
                if (request.GroupInstanceId is not null)
                {
                    pending = JoinStaticMember(group, request, memberId, protocols, rebalanceTimeout, clientId, clientHost, version);
                }
                else if (requireKnownMemberId)
                {
                    group.PendingMembers.Add(memberId);
                    SchedulePendingMemberExpiry(group, memberId, request.SessionTimeoutMs);
                    return JoinError(ErrorCode.MemberIdRequired, memberId);
                }
                else
                {
                    pending = AddMemberAndRebalance(group, request, memberId, protocols, rebalanceTimeout, clientId, clientHost, version);
                }
            }
            else if (group.PendingMembers.Remove(request.MemberId))
            {
                pending = AddMemberAndRebalance(group, request, request.MemberId, protocols, rebalanceTimeout, clientId, clientHost, version);
            }
            else if (!group.Members.TryGetValue(request.MemberId, out var member))
            {
                return JoinError(IsFenced(group, request.GroupInstanceId, request.MemberId) ? ErrorCode.FencedInstanceId : ErrorCode.UnknownMemberId, request.MemberId);
            }
            else if (IsFenced(group, request.GroupInstanceId, request.MemberId))
            {
                return JoinError(ErrorCode.FencedInstanceId, request.MemberId);
            }
            else
            {
                pending = RejoinExistingMember(group, member, request, protocols, rebalanceTimeout, version);
            }
        }
        return await pending.ConfigureAwait(false);
    }

    private GroupMetadata NewEmptyGroup(string groupId)
    {
        var group = new GroupMetadata(groupId);
        group.TransitionTo(GroupState.Empty, NowMs);
        return group;
    }

    private static bool IsFenced(GroupMetadata group, string? instanceId, string memberId) =>
        instanceId is not null && group.StaticMembers.TryGetValue(instanceId, out var registered) && registered != memberId;

    private Task<JoinGroupResponse> AddMemberAndRebalance(GroupMetadata group, JoinGroupRequest request, string memberId,
        List<(string Name, byte[] Metadata)> protocols, int rebalanceTimeout, string clientId, string clientHost, short version)
    {
        var member = new MemberMetadata
        {
            MemberId = memberId,
            GroupInstanceId = request.GroupInstanceId,
            ClientId = clientId,
            ClientHost = clientHost,
            RebalanceTimeoutMs = rebalanceTimeout,
            SessionTimeoutMs = request.SessionTimeoutMs,
            ProtocolType = request.ProtocolType,
            Protocols = protocols,
            AwaitingJoin = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        if (group.Members.Count == 0)
        {
            group.ProtocolType = request.ProtocolType;
        }
        group.Members[memberId] = member;
        group.LeaderId ??= memberId;
        if (member.GroupInstanceId is not null)
        {
            group.StaticMembers[member.GroupInstanceId] = memberId;
        }
        ScheduleSessionExpiry(group, member);
        var task = member.AwaitingJoin.Task;
        PrepareRebalance(group, $"member {memberId} joined");
        TryCompleteJoin(group);
        return task;
    }

    /// <summary>
    /// A static member (group.instance.id) joining with no member id: a new instance replaces the old
    /// one's member id (fencing it) and, in a stable group with unchanged protocols, takes over its
    /// assignment without a rebalance.
    /// </summary>
    private Task<JoinGroupResponse> JoinStaticMember(GroupMetadata group, JoinGroupRequest request, string newMemberId,
        List<(string Name, byte[] Metadata)> protocols, int rebalanceTimeout, string clientId, string clientHost, short version)
    {
        string instanceId = request.GroupInstanceId!;
        if (!group.StaticMembers.TryGetValue(instanceId, out var oldMemberId) || !group.Members.TryGetValue(oldMemberId, out var old))
        {
            return AddMemberAndRebalance(group, request, newMemberId, protocols, rebalanceTimeout, clientId, clientHost, version);
        }
        bool wasLeader = group.LeaderId == oldMemberId;
        old.SessionTimer?.Cancel();
        old.AwaitingJoin?.TrySetResult(JoinError(ErrorCode.FencedInstanceId, oldMemberId));
        old.AwaitingSync?.TrySetResult(SyncError(ErrorCode.FencedInstanceId));
        group.Members.Remove(oldMemberId);
        var member = new MemberMetadata
        {
            MemberId = newMemberId,
            GroupInstanceId = instanceId,
            ClientId = clientId,
            ClientHost = clientHost,
            RebalanceTimeoutMs = rebalanceTimeout,
            SessionTimeoutMs = request.SessionTimeoutMs,
            ProtocolType = request.ProtocolType,
            Protocols = protocols,
            Assignment = old.Assignment,
        };
        group.Members[newMemberId] = member;
        group.StaticMembers[instanceId] = newMemberId;
        if (wasLeader)
        {
            group.LeaderId = newMemberId;
        }
        ScheduleSessionExpiry(group, member);
        if (group.State == GroupState.Stable && old.HasSameProtocols(protocols) && !wasLeader)
        {
            LogStaticReplace(_logger, group.GroupId, instanceId, newMemberId);
            return Task.FromResult(JoinResponse(group, member, includeMembers: false));
        }
        member.AwaitingJoin = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = member.AwaitingJoin.Task;
        PrepareRebalance(group, $"static member {instanceId} rejoined");
        TryCompleteJoin(group);
        return task;
    }

    private Task<JoinGroupResponse> RejoinExistingMember(GroupMetadata group, MemberMetadata member, JoinGroupRequest request,
        List<(string Name, byte[] Metadata)> protocols, int rebalanceTimeout, short version)
    {
        bool sameProtocols = member.HasSameProtocols(protocols);
        switch (group.State)
        {
            case GroupState.CompletingRebalance when sameProtocols:
                // A retried join of the generation being completed: answer it again.
                return Task.FromResult(JoinResponse(group, member, includeMembers: member.MemberId == group.LeaderId));
            case GroupState.Stable when sameProtocols && member.MemberId != group.LeaderId:
                return Task.FromResult(JoinResponse(group, member, includeMembers: false));
            case GroupState.Empty or GroupState.Dead:
                return Task.FromResult(JoinError(ErrorCode.UnknownMemberId, member.MemberId));
        }
        member.Protocols = protocols;
        member.RebalanceTimeoutMs = rebalanceTimeout;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.AwaitingJoin?.TrySetResult(JoinError(ErrorCode.UnknownMemberId, member.MemberId));
        member.AwaitingJoin = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = member.AwaitingJoin.Task;
        ScheduleSessionExpiry(group, member);
        PrepareRebalance(group, $"member {member.MemberId} rejoined");
        TryCompleteJoin(group);
        return task;
    }

    /// <summary>Moves the group to PreparingRebalance and arms the delayed join. Caller holds the lock.</summary>
    private void PrepareRebalance(GroupMetadata group, string reason)
    {
        if (group.State == GroupState.PreparingRebalance)
        {
            // Already waiting for members; the armed delayed join covers this change too.
            return;
        }
        if (group.State == GroupState.CompletingRebalance)
        {
            // Members waiting for an assignment that will not come: make them rejoin.
            foreach (var m in group.Members.Values)
            {
                m.AwaitingSync?.TrySetResult(SyncError(ErrorCode.RebalanceInProgress));
                m.AwaitingSync = null;
            }
        }
        bool initial = group.State == GroupState.Empty;
        group.TransitionTo(GroupState.PreparingRebalance, NowMs);
        LogPreparingRebalance(_logger, group.GroupId, group.GenerationId, reason);
        group.RebalanceTimer?.Cancel();
        int generation = group.GenerationId;
        if (initial && _config.GroupInitialRebalanceDelayMs > 0)
        {
            group.InInitialDelay = true;
            int delay = Math.Min(_config.GroupInitialRebalanceDelayMs, group.MaxRebalanceTimeoutMs);
            int remaining = Math.Max(group.MaxRebalanceTimeoutMs - delay, 0);
            ArmInitialDelay(group, generation, delay, remaining, group.Members.Count);
        }
        else
        {
            group.InInitialDelay = false;
            ArmRebalanceTimeout(group, generation);
        }
    }

    /// <summary>
    /// group.initial.rebalance.delay.ms: wait for more members before the first generation; each
    /// arrival during the delay extends it, up to the rebalance timeout.
    /// </summary>
    private void ArmInitialDelay(GroupMetadata group, int generation, int delay, int remaining, int membersAtStart)
    {
        var task = new ActionTimerTask(delay, () =>
        {
            lock (group.Lock)
            {
                if (group.State != GroupState.PreparingRebalance || group.GenerationId != generation || !group.InInitialDelay)
                {
                    return;
                }
                if (group.Members.Count > membersAtStart && remaining > 0)
                {
                    int next = Math.Min(_config.GroupInitialRebalanceDelayMs, remaining);
                    ArmInitialDelay(group, generation, next, Math.Max(remaining - next, 0), group.Members.Count);
                    return;
                }
                group.InInitialDelay = false;
                CompleteJoin(group);
            }
        });
        group.RebalanceTimer = task;
        _timer.Add(task);
    }

    private void ArmRebalanceTimeout(GroupMetadata group, int generation)
    {
        var task = new ActionTimerTask(Math.Max(group.MaxRebalanceTimeoutMs, 1), () =>
        {
            lock (group.Lock)
            {
                if (group.State == GroupState.PreparingRebalance && group.GenerationId == generation)
                {
                    CompleteJoin(group);
                }
            }
        });
        group.RebalanceTimer = task;
        _timer.Add(task);
    }

    /// <summary>Completes the join phase early once every member has rejoined. Caller holds the lock.</summary>
    private void TryCompleteJoin(GroupMetadata group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.InInitialDelay && group.HasAllMembersJoined)
        {
            CompleteJoin(group);
        }
    }

    /// <summary>
    /// Ends the join phase: members that did not rejoin are dropped, the generation advances, a
    /// protocol is chosen, and every waiting member gets its JoinGroup answer (the leader with the
    /// member list). Caller holds the lock.
    /// </summary>
    private void CompleteJoin(GroupMetadata group)
    {
        group.RebalanceTimer?.Cancel();
        group.RebalanceTimer = null;
        foreach (var member in group.Members.Values.Where(m => m.AwaitingJoin is null).ToList())
        {
            RemoveMember(group, member);
        }
        group.PendingMembers.Clear();
        group.GenerationId++;
        if (group.Members.Count == 0)
        {
            group.ProtocolName = null;
            group.LeaderId = null;
            group.TransitionTo(GroupState.Empty, NowMs);
            StoreGroup(group);
            LogGroupEmpty(_logger, group.GroupId, group.GenerationId);
            return;
        }
        if (group.LeaderId is null || !group.Members.ContainsKey(group.LeaderId))
        {
            group.LeaderId = group.Members.Keys.First();
        }
        group.ProtocolName = group.SelectProtocol();
        group.TransitionTo(GroupState.CompletingRebalance, NowMs);
        LogJoinCompleted(_logger, group.GroupId, group.GenerationId, group.Members.Count, group.ProtocolName);
        foreach (var member in group.Members.Values)
        {
            var waiting = member.AwaitingJoin!;
            member.AwaitingJoin = null;
            ScheduleSessionExpiry(group, member);
            waiting.TrySetResult(JoinResponse(group, member, includeMembers: member.MemberId == group.LeaderId));
        }
    }

    private static JoinGroupResponse JoinResponse(GroupMetadata group, MemberMetadata member, bool includeMembers)
    {
        var response = new JoinGroupResponse
        {
            GenerationId = group.GenerationId,
            ProtocolType = group.ProtocolType,
            ProtocolName = group.ProtocolName,
            Leader = group.LeaderId ?? "",
            MemberId = member.MemberId,
        };
        if (includeMembers)
        {
            foreach (var m in group.Members.Values)
            {
                response.Members.Add(new JoinGroupResponse.JoinGroupResponseMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    Metadata = m.MetadataFor(group.ProtocolName!) ?? [],
                });
            }
        }
        return response;
    }

    private static JoinGroupResponse JoinError(ErrorCode error, string memberId) => new()
    {
        ErrorCode = (short)error,
        GenerationId = -1,
        ProtocolName = null,
        Leader = "",
        MemberId = memberId,
    };

    // ---------------------------------------------------------------- SyncGroup

    public async Task<SyncGroupResponse> SyncGroupAsync(SyncGroupRequest request)
    {
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return SyncError(ErrorCode.UnknownMemberId);
        }
        Task<SyncGroupResponse> pending;
        lock (group.Lock)
        {
            var error = CheckMember(group, request.MemberId, request.GroupInstanceId, request.GenerationId);
            if (error != ErrorCode.None)
            {
                return SyncError(error);
            }
            if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
            {
                return SyncError(ErrorCode.InconsistentGroupProtocol);
            }
            var member = group.Members[request.MemberId];
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    return SyncError(ErrorCode.RebalanceInProgress);
                case GroupState.Stable:
                    ScheduleSessionExpiry(group, member);
                    return SyncOk(group, member.Assignment);
                case GroupState.CompletingRebalance:
                    member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.RebalanceInProgress));
                    member.AwaitingSync = new TaskCompletionSource<SyncGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                    pending = member.AwaitingSync.Task;
                    ScheduleSessionExpiry(group, member);
                    if (member.MemberId == group.LeaderId)
                    {
                        CompleteSync(group, request.Assignments);
                    }
                    break;
                default:
                    return SyncError(ErrorCode.UnknownMemberId);
            }
        }
        return await pending.ConfigureAwait(false);
    }

    /// <summary>The leader's assignment: persist the group, then hand each member its share. Caller holds the lock.</summary>
    private void CompleteSync(GroupMetadata group, List<SyncGroupRequest.SyncGroupRequestAssignment> assignments)
    {
        var byMember = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var a in assignments)
        {
            byMember[a.MemberId] = a.Assignment;
        }
        foreach (var member in group.Members.Values)
        {
            member.Assignment = byMember.GetValueOrDefault(member.MemberId) ?? [];
        }
        group.TransitionTo(GroupState.Stable, NowMs);
        var error = StoreGroup(group);
        if (error != ErrorCode.None)
        {
            foreach (var member in group.Members.Values)
            {
                member.Assignment = [];
            }
            PrepareRebalance(group, $"storing the assignment failed: {error}");
            return;
        }
        LogStable(_logger, group.GroupId, group.GenerationId, group.Members.Count);
        foreach (var member in group.Members.Values)
        {
            member.AwaitingSync?.TrySetResult(SyncOk(group, member.Assignment));
            member.AwaitingSync = null;
        }
    }

    private static SyncGroupResponse SyncOk(GroupMetadata group, byte[] assignment) => new()
    {
        ProtocolType = group.ProtocolType,
        ProtocolName = group.ProtocolName,
        Assignment = assignment,
    };

    private static SyncGroupResponse SyncError(ErrorCode error) => new() { ErrorCode = (short)error, Assignment = [] };

    /// <summary>The checks JoinGroup's followers share: dead group, fencing, membership, generation.</summary>
    private static ErrorCode CheckMember(GroupMetadata group, string memberId, string? instanceId, int generationId)
    {
        if (group.State == GroupState.Dead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }
        if (IsFenced(group, instanceId, memberId))
        {
            return ErrorCode.FencedInstanceId;
        }
        if (!group.Members.ContainsKey(memberId))
        {
            return ErrorCode.UnknownMemberId;
        }
        if (generationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }
        return ErrorCode.None;
    }

    // ---------------------------------------------------------------- Heartbeat and LeaveGroup

    public ErrorCode Heartbeat(HeartbeatRequest request)
    {
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return ErrorCode.UnknownMemberId;
        }
        lock (group.Lock)
        {
            if (group.State == GroupState.Empty)
            {
                return ErrorCode.UnknownMemberId;
            }
            var error = CheckMember(group, request.MemberId, request.GroupInstanceId, request.GenerationId);
            if (error != ErrorCode.None)
            {
                return error;
            }
            ScheduleSessionExpiry(group, group.Members[request.MemberId]);
            return group.State == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
        }
    }

    /// <summary>LeaveGroup for one or more members (v3+ batches them); returns each member's error.</summary>
    public List<(string MemberId, string? InstanceId, ErrorCode Error)> LeaveGroup(string groupId, IEnumerable<(string MemberId, string? InstanceId)> leaving)
    {
        var results = new List<(string, string?, ErrorCode)>();
        if (!_groups.TryGetValue(groupId, out var group))
        {
            results.AddRange(leaving.Select(l => (l.MemberId, l.InstanceId, ErrorCode.UnknownMemberId)));
            return results;
        }
        lock (group.Lock)
        {
            foreach (var (memberId, instanceId) in leaving)
            {
                if (group.State == GroupState.Dead)
                {
                    results.Add((memberId, instanceId, ErrorCode.CoordinatorNotAvailable));
                    continue;
                }
                string? target = memberId;
                if (instanceId is not null)
                {
                    if (!group.StaticMembers.TryGetValue(instanceId, out var registered))
                    {
                        results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
                        continue;
                    }
                    if (memberId.Length > 0 && memberId != registered)
                    {
                        results.Add((memberId, instanceId, ErrorCode.FencedInstanceId));
                        continue;
                    }
                    target = registered;
                }
                if (group.PendingMembers.Remove(target))
                {
                    results.Add((memberId, instanceId, ErrorCode.None));
                    TryCompleteJoin(group);
                    continue;
                }
                if (!group.Members.TryGetValue(target, out var member))
                {
                    results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
                    continue;
                }
                LogMemberLeft(_logger, group.GroupId, member.MemberId);
                RemoveMemberAndRebalance(group, member, $"member {member.MemberId} left");
                results.Add((memberId, instanceId, ErrorCode.None));
            }
        }
        return results;
    }

    /// <summary>Caller holds the lock.</summary>
    private void RemoveMemberAndRebalance(GroupMetadata group, MemberMetadata member, string reason)
    {
        RemoveMember(group, member);
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group, reason);
                TryCompleteJoin(group);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    private static void RemoveMember(GroupMetadata group, MemberMetadata member)
    {
        member.SessionTimer?.Cancel();
        member.AwaitingJoin?.TrySetResult(JoinError(ErrorCode.UnknownMemberId, member.MemberId));
        member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.UnknownMemberId));
        member.AwaitingJoin = null;
        member.AwaitingSync = null;
        group.Members.Remove(member.MemberId);
        if (member.GroupInstanceId is not null && group.StaticMembers.TryGetValue(member.GroupInstanceId, out var id) && id == member.MemberId)
        {
            group.StaticMembers.Remove(member.GroupInstanceId);
        }
        if (group.LeaderId == member.MemberId)
        {
            group.LeaderId = group.Members.Keys.FirstOrDefault();
        }
    }

    /// <summary>(Re)arms a member's session: if no heartbeat arrives within session.timeout.ms it is removed. Caller holds the lock.</summary>
    private void ScheduleSessionExpiry(GroupMetadata group, MemberMetadata member)
    {
        member.SessionTimer?.Cancel();
        long epoch = ++member.HeartbeatEpoch;
        var task = new ActionTimerTask(member.SessionTimeoutMs, () =>
        {
            lock (group.Lock)
            {
                if (!group.Members.TryGetValue(member.MemberId, out var current) || current != member || member.HeartbeatEpoch != epoch)
                {
                    return;
                }
                if (member.AwaitingJoin is not null || member.AwaitingSync is not null)
                {
                    // Blocked in a request of ours: alive by definition.
                    ScheduleSessionExpiry(group, member);
                    return;
                }
                LogSessionExpired(_logger, group.GroupId, member.MemberId, member.SessionTimeoutMs);
                RemoveMemberAndRebalance(group, member, $"member {member.MemberId} session expired");
            }
        });
        member.SessionTimer = task;
        _timer.Add(task);
    }

    private void SchedulePendingMemberExpiry(GroupMetadata group, string memberId, int sessionTimeoutMs)
    {
        _timer.Add(new ActionTimerTask(sessionTimeoutMs, () =>
        {
            lock (group.Lock)
            {
                if (group.PendingMembers.Remove(memberId))
                {
                    TryCompleteJoin(group);
                }
            }
        }));
    }

    // ---------------------------------------------------------------- Offsets

    /// <summary>
    /// Commits offsets for a group member (generation and member checked) or, with generation -1 and no
    /// member, for a group with no members (consumers using assign(), admin tools). The records are
    /// appended to __consumer_offsets before the commit is acknowledged.
    /// </summary>
    public Dictionary<TopicPartition, ErrorCode> CommitOffsets(string groupId, int generationId, string memberId, string? instanceId,
        IReadOnlyList<(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata)> offsets)
    {
        var results = new Dictionary<TopicPartition, ErrorCode>();
        ErrorCode Fail(ErrorCode error)
        {
            foreach (var o in offsets)
            {
                results[o.Partition] = error;
            }
            return error;
        }
        if (string.IsNullOrEmpty(groupId))
        {
            Fail(ErrorCode.InvalidGroupId);
            return results;
        }
        EnsureOffsetsTopic();
        GroupMetadata group;
        if (!_groups.TryGetValue(groupId, out group!))
        {
            if (generationId >= 0 || memberId.Length > 0)
            {
                Fail(ErrorCode.IllegalGeneration);
                return results;
            }
            group = _groups.GetOrAdd(groupId, id => NewEmptyGroup(id));
        }
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
            {
                Fail(ErrorCode.CoordinatorNotAvailable);
                return results;
            }
            if (IsFenced(group, instanceId, memberId))
            {
                Fail(ErrorCode.FencedInstanceId);
                return results;
            }
            bool simple = generationId < 0 && group.State == GroupState.Empty;
            if (!simple)
            {
                if (group.State == GroupState.CompletingRebalance)
                {
                    Fail(ErrorCode.RebalanceInProgress);
                    return results;
                }
                if (!group.Members.TryGetValue(memberId, out var member))
                {
                    Fail(ErrorCode.UnknownMemberId);
                    return results;
                }
                if (generationId != group.GenerationId)
                {
                    Fail(ErrorCode.IllegalGeneration);
                    return results;
                }
                ScheduleSessionExpiry(group, member);
            }
            var accepted = new List<(TopicPartition Partition, CommittedOffset Offset)>();
            AcceptOffsets(offsets, NowMs, results, accepted);
            if (accepted.Count == 0)
            {
                return results;
            }
            var records = accepted.Select(a => (OffsetsTopicRecords.OffsetCommitKey(groupId, a.Partition), (byte[]?)OffsetsTopicRecords.OffsetCommitValue(a.Offset))).ToList();
            var error = AppendToOffsetsTopic(groupId, records, out long recordOffset);
            foreach (var (partition, committed) in accepted)
            {
                results[partition] = error;
                if (error == ErrorCode.None)
                {
                    group.Offsets[partition] = committed with { RecordOffset = recordOffset };
                }
            }
        }
        return results;
    }

    /// <summary>
    /// A transaction's marker was written to the __consumer_offsets partition <paramref name="offsetsPartition"/>: its
    /// producer's pending transactional offsets there become committed offsets (commit) or are dropped (abort).
    /// </summary>
    public void HandleTxnCompletion(long producerId, int offsetsPartition, bool commit)
    {
        var groupIds = TakeProducerGroups(producerId, offsetsPartition);
        if (groupIds.Count == 0)
        {
            return;
        }
        int applied = 0;
        foreach (string groupId in groupIds)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                continue;
            }
            lock (group.Lock)
            {
                if (group.State != GroupState.Dead)
                {
                    applied += group.CompletePendingTxnOffsets(producerId, commit);
                }
            }
        }
        LogTxnCompleted(_logger, producerId, commit ? "committed" : "aborted", offsetsPartition, groupIds.Count, applied);
    }

    /// <summary>
    /// Sorts the offsets of a commit into those that can be stored (added to <paramref name="accepted"/>) and those
    /// refused, whose error goes into <paramref name="results"/>: metadata over offset.metadata.max.bytes, unknown partitions.
    /// </summary>
    private void AcceptOffsets(IReadOnlyList<(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata)> offsets, long now,
        Dictionary<TopicPartition, ErrorCode> results, List<(TopicPartition Partition, CommittedOffset Offset)> accepted)
    {
        foreach (var (partition, offset, epoch, metadata) in offsets)
        {
            if (metadata is not null && metadata.Length > _config.OffsetMetadataMaxBytes)
            {
                results[partition] = ErrorCode.OffsetMetadataTooLarge;
            }
            else if (!_topics.TryGetTopic(partition.Topic, out var topic) || partition.Partition < 0 || partition.Partition >= topic.PartitionCount)
            {
                results[partition] = ErrorCode.UnknownTopicOrPartition;
            }
            else
            {
                accepted.Add((partition, new CommittedOffset(offset, epoch, metadata, now)));
            }
        }
    }

    // ---------------------------------------------------------------- List, describe, delete

    public IReadOnlyList<(string GroupId, string ProtocolType, GroupState State)> ListGroups()
    {
        var result = new List<(string, string, GroupState)>();
        foreach (var group in _groups.Values)
        {
            lock (group.Lock)
            {
                if (group.State != GroupState.Dead)
                {
                    result.Add((group.GroupId, group.ProtocolType ?? "", group.State));
                }
            }
        }
        return result.OrderBy(g => g.Item1, StringComparer.Ordinal).ToList();
    }

    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId)
    {
        var described = new DescribeGroupsResponse.DescribedGroup { GroupId = groupId, GroupState = GroupState.Dead.Name() };
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return described;
        }
        lock (group.Lock)
        {
            bool stable = group.State == GroupState.Stable;
            described.GroupState = group.State.Name();
            described.ProtocolType = group.ProtocolType ?? "";
            described.ProtocolData = stable ? group.ProtocolName ?? "" : "";
            foreach (var m in group.Members.Values)
            {
                described.Members.Add(new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = stable ? m.MetadataFor(group.ProtocolName!) ?? [] : [],
                    MemberAssignment = stable ? m.Assignment : [],
                });
            }
        }
        return described;
    }

    /// <summary>Deletes an empty group and its offsets (tombstones in __consumer_offsets).</summary>
    public ErrorCode DeleteGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return ErrorCode.GroupIdNotFound;
        }
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
            {
                return ErrorCode.GroupIdNotFound;
            }
            if (group.State != GroupState.Empty)
            {
                return ErrorCode.NonEmptyGroup;
            }
            // Pending transactional offsets go with the group (as in Kafka); their keys get tombstones too, so that a
            // reload, which drops pending offsets at a later tombstone of their key, agrees when the marker follows.
            var tombstones = group.Offsets.Keys
                .Union(group.PendingTxnOffsets.Values.SelectMany(p => p.Keys))
                .Select(tp => (OffsetsTopicRecords.OffsetCommitKey(groupId, tp), (byte[]?)null))
                .Append((OffsetsTopicRecords.GroupMetadataKey(groupId), (byte[]?)null))
                .ToList();
            var error = AppendToOffsetsTopic(groupId, tombstones);
            if (error != ErrorCode.None)
            {
                return error;
            }
            group.Offsets.Clear();
            group.PendingTxnOffsets.Clear();
            group.TransitionTo(GroupState.Dead, NowMs);
            _groups.TryRemove(new KeyValuePair<string, GroupMetadata>(groupId, group));
        }
        LogDeleted(_logger, groupId);
        return ErrorCode.None;
    }

    // ---------------------------------------------------------------- Retention

    private void ScheduleRetentionCheck()
    {
        var task = new ActionTimerTask(_config.OffsetsRetentionCheckIntervalMs, () =>
        {
            ExpireOffsets();
            ScheduleRetentionCheck();
        });
        _retentionTask = task;
        _timer.Add(task);
    }

    /// <summary>
    /// offsets.retention.minutes: a group that has been empty that long loses its offsets, then itself. Pending
    /// transactional offsets never expire (their transaction ends them, or times out in the transaction coordinator); a
    /// partition with one keeps its committed offset until the transaction ends, and a group with one stays.
    /// </summary>
    public int ExpireOffsets()
    {
        long now = NowMs;
        long retentionMs = (long)_config.OffsetsRetentionMinutes * 60_000;
        int expired = 0;
        foreach (var group in _groups.Values)
        {
            lock (group.Lock)
            {
                if (group.State != GroupState.Empty || now - group.StateTimestampMs < retentionMs)
                {
                    continue;
                }
                var old = group.Offsets.Where(o => now - o.Value.CommitTimestampMs >= retentionMs && !group.HasPendingTxnOffset(o.Key))
                    .Select(o => o.Key).ToList();
                var tombstones = old.Select(tp => (OffsetsTopicRecords.OffsetCommitKey(group.GroupId, tp), (byte[]?)null)).ToList();
                bool removeGroup = old.Count == group.Offsets.Count && group.PendingTxnOffsets.Count == 0;
                if (removeGroup)
                {
                    tombstones.Add((OffsetsTopicRecords.GroupMetadataKey(group.GroupId), null));
                }
                if (tombstones.Count == 0 || AppendToOffsetsTopic(group.GroupId, tombstones) != ErrorCode.None)
                {
                    continue;
                }
                foreach (var tp in old)
                {
                    group.Offsets.Remove(tp);
                }
                expired += old.Count;
                if (removeGroup)
                {
                    group.TransitionTo(GroupState.Dead, now);
                    _groups.TryRemove(new KeyValuePair<string, GroupMetadata>(group.GroupId, group));
                }
            }
        }
        if (expired > 0)
        {
            LogExpired(_logger, expired);
        }
        return expired;
    }

    // ---------------------------------------------------------------- Storage

    /// <summary>Writes the group's metadata record. Caller holds the lock.</summary>
    private ErrorCode StoreGroup(GroupMetadata group) =>
        AppendToOffsetsTopic(group.GroupId, [(OffsetsTopicRecords.GroupMetadataKey(group.GroupId), OffsetsTopicRecords.GroupMetadataValue(group))]);

    private ErrorCode AppendToOffsetsTopic(string groupId, IReadOnlyList<(byte[] Key, byte[]? Value)> records) =>
        AppendToOffsetsTopic(groupId, records, out _);

    /// <summary>Appends the records as one batch; <paramref name="baseOffset"/> is where it landed (-1 on error).</summary>
    private ErrorCode AppendToOffsetsTopic(string groupId, IReadOnlyList<(byte[] Key, byte[]? Value)> records, out long baseOffset)
    {
        EnsureOffsetsTopic();
        var partition = new TopicPartition(OffsetsTopic, PartitionFor(groupId));
        using var builder = new Samsa.Protocol.Records.RecordBatchBuilder();
        long now = NowMs;
        foreach (var (key, value) in records)
        {
            builder.Append(now, key, value);
        }
        var result = _replicas.AppendRecords(partition, builder.ToArray());
        baseOffset = result.Error == ErrorCode.None ? result.BaseOffset : -1;
        return result.Error switch
        {
            ErrorCode.None => ErrorCode.None,
            ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge => ErrorCode.InvalidCommitOffsetSize,
            ErrorCode.UnknownTopicOrPartition or ErrorCode.NotLeaderOrFollower => ErrorCode.NotCoordinator,
            _ => ErrorCode.CoordinatorNotAvailable,
        };
    }

    /// <summary>
    /// Answers every join and sync still waiting with COORDINATOR_NOT_AVAILABLE, so that a stopping
    /// broker does not hold connections for a rebalance timeout; clients rediscover the coordinator.
    /// </summary>
    public void AbortPendingRequests()
    {
        foreach (var group in _groups.Values)
        {
            lock (group.Lock)
            {
                foreach (var member in group.Members.Values)
                {
                    member.AwaitingJoin?.TrySetResult(JoinError(ErrorCode.CoordinatorNotAvailable, member.MemberId));
                    member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.CoordinatorNotAvailable));
                }
            }
        }
    }

    public void Dispose() => _retentionTask?.Cancel();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Groups} groups from {Records} records of __consumer_offsets")]
    private static partial void LogLoaded(ILogger logger, int groups, int records);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} preparing to rebalance (generation {Generation}): {Reason}")]
    private static partial void LogPreparingRebalance(ILogger logger, string groupId, int generation, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} generation {Generation}: {Members} members joined, protocol {Protocol}")]
    private static partial void LogJoinCompleted(ILogger logger, string groupId, int generation, int members, string protocol);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} generation {Generation} is stable with {Members} members")]
    private static partial void LogStable(ILogger logger, string groupId, int generation, int members);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} is empty at generation {Generation}")]
    private static partial void LogGroupEmpty(ILogger logger, string groupId, int generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId}: member {MemberId} left")]
    private static partial void LogMemberLeft(ILogger logger, string groupId, string memberId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId}: member {MemberId} sent no heartbeat within {SessionTimeoutMs} ms; removing it")]
    private static partial void LogSessionExpired(ILogger logger, string groupId, string memberId, int sessionTimeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId}: static member {InstanceId} replaced by {MemberId} without a rebalance")]
    private static partial void LogStaticReplace(ILogger logger, string groupId, string instanceId, string memberId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted group {GroupId}")]
    private static partial void LogDeleted(ILogger logger, string groupId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} committed offsets of empty groups (offsets.retention.minutes)")]
    private static partial void LogExpired(ILogger logger, int count);
}
