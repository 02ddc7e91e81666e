using Samsa.Client.Config;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Consumer;

/// <summary>
/// A consumer's membership of its group under the classic protocol, and its offset commits. The coordinator gets a
/// connection of its own, with a request timeout that outlasts a JoinGroup held for the whole rebalance, so fetches
/// never queue behind a join. Joining (FindCoordinator, JoinGroup, the leader's assignment, SyncGroup) is started by
/// the thread calling Consume, which runs the rebalance callbacks before and after it; a background loop heartbeats every
/// heartbeat.interval.ms while the member is in a generation and turns the coordinator's answers into flags the next
/// Consume acts on: REBALANCE_IN_PROGRESS asks for a rejoin, ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID also mean the
/// partitions were lost, NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE send it looking for the coordinator again,
/// FENCED_INSTANCE_ID is fatal. When Consume has not been called for max.poll.interval.ms the loop leaves the group,
/// so the others get the partitions; the next Consume joins again. Thread-safe.
/// </summary>
internal sealed class ConsumerCoordinator : IAsyncDisposable
{
    private const string ProtocolType = "consumer";

    private readonly KafkaCluster _cluster;
    private readonly IReadOnlyList<IGroupAssignor> _assignors;
    private readonly TimeProvider _time;
    private readonly Action _wakeup;
    private readonly Action<KafkaException> _onError;
    private readonly int _sessionTimeoutMs;
    private readonly int _rebalanceTimeoutMs;
    private readonly int _heartbeatIntervalMs;
    private readonly int _retryBackoffMs;
    private readonly TimeSpan _requestTimeout;
    private readonly SemaphoreSlim _coordinatorLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _heartbeatLock = new();
    private KafkaConnection? _connection;
    private CancellationTokenSource? _heartbeat;
    private Task _heartbeatLoop = Task.CompletedTask;
    private long _lastPollTimestamp;
    private volatile bool _rejoinNeeded = true;
    private volatile bool _partitionsLost;
    private volatile KafkaException? _fatal;

    public ConsumerCoordinator(KafkaCluster cluster, ResolvedConfig config, IReadOnlyList<IGroupAssignor> assignors, TimeProvider time,
        Action wakeup, Action<KafkaException> onError)
    {
        _cluster = cluster;
        _assignors = assignors;
        _time = time;
        _wakeup = wakeup;
        _onError = onError;
        GroupId = config.String("group.id")!;
        GroupInstanceId = config.String("group.instance.id");
        _sessionTimeoutMs = config.Int("session.timeout.ms");
        _rebalanceTimeoutMs = config.Int("max.poll.interval.ms");
        _heartbeatIntervalMs = config.Int("heartbeat.interval.ms");
        _retryBackoffMs = Math.Max(config.Int("retry.backoff.ms"), 10);
        _requestTimeout = TimeSpan.FromMilliseconds(Math.Max(config.Int("request.timeout.ms"), _rebalanceTimeoutMs + 5000L));
        _lastPollTimestamp = time.GetTimestamp();
    }

    public string GroupId { get; }

    public string? GroupInstanceId { get; }

    public string MemberId { get; private set; } = "";

    public int GenerationId { get; private set; } = -1;

    /// <summary>The assignor the coordinator chose in the last join.</summary>
    public IGroupAssignor? Assignor { get; private set; }

    public bool IsCooperative => _assignors[0].IsCooperative;

    /// <summary>True when the member must (re)join before its assignment can be trusted.</summary>
    public bool RejoinNeeded => _rejoinNeeded;

    /// <summary>True when the member was dropped from its generation: its partitions may already be someone else's.</summary>
    public bool PartitionsLost => _partitionsLost;

    public KafkaException? Fatal => _fatal;

    public void RequestRejoin()
    {
        _rejoinNeeded = true;
        _wakeup();
    }

    public void ClearPartitionsLost() => _partitionsLost = false;

    /// <summary>Consume was called: the member is alive as far as max.poll.interval.ms is concerned.</summary>
    public void OnPoll() => Volatile.Write(ref _lastPollTimestamp, _time.GetTimestamp());

    private async Task<KafkaConnection> CoordinatorAsync(CancellationToken cancellationToken)
    {
        var current = _connection;
        if (current is { IsAlive: true })
        {
            return current;
        }
        await _coordinatorLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsAlive: true } fresh)
            {
                return fresh;
            }
            if (_connection is { } dead)
            {
                await dead.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }
            int nodeId = await _cluster.FindCoordinatorAsync(0, GroupId, cancellationToken).ConfigureAwait(false);
            var broker = _cluster.Metadata.Brokers.GetValueOrDefault(nodeId)
                ?? throw new KafkaException(ErrorCode.CoordinatorNotAvailable, $"the coordinator of group '{GroupId}', broker {nodeId}, is not in the metadata");
            _connection = await KafkaConnection.ConnectAsync(broker.Host, broker.Port, _cluster.ClientId, _requestTimeout,
                TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return _connection;
        }
        finally
        {
            _coordinatorLock.Release();
        }
    }

    private void MarkCoordinatorUnknown()
    {
        if (_connection is { } connection)
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    private static bool IsCoordinatorError(ErrorCode error) =>
        error is ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress;

    private static bool IsRetriableTransport(KafkaException e) =>
        e.Error is ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.CoordinatorNotAvailable
            or ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress or ErrorCode.LeaderNotAvailable;

    private Task BackoffAsync(CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(_retryBackoffMs), _time, cancellationToken);

    /// <summary>
    /// Joins the group with <paramref name="topics"/> and returns this member's partitions of the new generation.
    /// Retries through rebalances, a coordinator moving and a reset member id until it succeeds or is cancelled.
    /// </summary>
    public async Task<IReadOnlyList<TopicPartition>> JoinAsync(IReadOnlyList<string> topics, IReadOnlyCollection<TopicPartition> owned,
        CancellationToken cancellationToken)
    {
        StopHeartbeats();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var ct = linked.Token;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_fatal is { } fatal)
            {
                throw fatal;
            }
            KafkaConnection connection;
            try
            {
                connection = await CoordinatorAsync(ct).ConfigureAwait(false);
            }
            catch (KafkaException e) when (IsRetriableTransport(e))
            {
                await BackoffAsync(ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                var join = await SendJoinAsync(connection, topics, owned, ct).ConfigureAwait(false);
                var error = (ErrorCode)join.ErrorCode;
                switch (error)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.MemberIdRequired:
                        MemberId = join.MemberId;
                        continue;
                    case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                        ResetMember();
                        continue;
                    case ErrorCode.RebalanceInProgress:
                        continue;
                    case ErrorCode.FencedInstanceId:
                        _fatal = new KafkaException(error, $"group '{GroupId}': group.instance.id '{GroupInstanceId}' is used by another member") { IsFatal = true };
                        throw _fatal;
                    case var _ when IsCoordinatorError(error):
                        MarkCoordinatorUnknown();
                        await BackoffAsync(ct).ConfigureAwait(false);
                        continue;
                    default:
                        throw new KafkaException(error, $"JoinGroup of group '{GroupId}': {error}");
                }
                MemberId = join.MemberId;
                GenerationId = join.GenerationId;
                var assignor = _assignors.FirstOrDefault(a => a.Name == join.ProtocolName)
                    ?? throw new KafkaException(ErrorCode.InconsistentGroupProtocol, $"group '{GroupId}' chose assignor '{join.ProtocolName}', which this member did not offer");
                Dictionary<string, byte[]>? assignments = null;
                if (join.Leader == join.MemberId && !join.SkipAssignment)
                {
                    assignments = await AssignAsync(assignor, join.Members, ct).ConfigureAwait(false);
                }
                var sync = await SendSyncAsync(connection, assignor, assignments, ct).ConfigureAwait(false);
                error = (ErrorCode)sync.ErrorCode;
                switch (error)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.RebalanceInProgress:
                        continue;
                    case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                        ResetMember();
                        continue;
                    case ErrorCode.FencedInstanceId:
                        _fatal = new KafkaException(error, $"group '{GroupId}': group.instance.id '{GroupInstanceId}' is used by another member") { IsFatal = true };
                        throw _fatal;
                    case var _ when IsCoordinatorError(error):
                        MarkCoordinatorUnknown();
                        await BackoffAsync(ct).ConfigureAwait(false);
                        continue;
                    default:
                        throw new KafkaException(error, $"SyncGroup of group '{GroupId}': {error}");
                }
                Assignor = assignor;
                _rejoinNeeded = false;
                var partitions = sync.Assignment.Length == 0 ? [] : assignor.DecodeAssignment(sync.Assignment);
                OnPoll();
                StartHeartbeats();
                return partitions;
            }
            catch (KafkaException e) when (IsRetriableTransport(e))
            {
                MarkCoordinatorUnknown();
                await BackoffAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private void ResetMember()
    {
        MemberId = "";
        GenerationId = -1;
        _partitionsLost = true;
    }

    private async Task<JoinGroupResponse> SendJoinAsync(KafkaConnection connection, IReadOnlyList<string> topics,
        IReadOnlyCollection<TopicPartition> owned, CancellationToken ct)
    {
        short version = connection.NegotiateVersion(ApiKey.JoinGroup, 1, 9);
        var request = new JoinGroupRequest
        {
            GroupId = GroupId,
            SessionTimeoutMs = _sessionTimeoutMs,
            RebalanceTimeoutMs = _rebalanceTimeoutMs,
            MemberId = MemberId,
            GroupInstanceId = version >= 5 ? GroupInstanceId : null,
            ProtocolType = ProtocolType,
        };
        foreach (var assignor in _assignors)
        {
            request.Protocols.Add(new JoinGroupRequest.JoinGroupRequestProtocol
            {
                Name = assignor.Name,
                Metadata = assignor.Subscription(topics, owned, GenerationId),
            });
        }
        return await connection.SendAsync<JoinGroupResponse>(request, version, ct).ConfigureAwait(false);
    }

    private async Task<Dictionary<string, byte[]>> AssignAsync(IGroupAssignor assignor, List<JoinGroupResponse.JoinGroupResponseMember> joined,
        CancellationToken ct)
    {
        var members = joined.Select(m => new JoinedMember(m.MemberId, m.GroupInstanceId, m.Metadata)).ToList();
        var topics = members.SelectMany(m => assignor.SubscribedTopics(m.Metadata)).Distinct().ToList();
        _cluster.TrackTopics(topics);
        ClusterMetadata metadata;
        try
        {
            metadata = await _cluster.RefreshMetadataAsync().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (KafkaException)
        {
            metadata = _cluster.Metadata;
        }
        var partitionsPerTopic = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string topic in topics)
        {
            if (metadata.Topic(topic) is { Error: ErrorCode.None, Partitions.Length: > 0 } t)
            {
                partitionsPerTopic[topic] = t.Partitions.Length;
            }
        }
        return assignor.Assign(members, partitionsPerTopic);
    }

    private async Task<SyncGroupResponse> SendSyncAsync(KafkaConnection connection, IGroupAssignor assignor,
        Dictionary<string, byte[]>? assignments, CancellationToken ct)
    {
        short version = connection.NegotiateVersion(ApiKey.SyncGroup, 0, 5);
        var request = new SyncGroupRequest
        {
            GroupId = GroupId,
            GenerationId = GenerationId,
            MemberId = MemberId,
            GroupInstanceId = version >= 3 ? GroupInstanceId : null,
            ProtocolType = version >= 5 ? ProtocolType : null,
            ProtocolName = version >= 5 ? assignor.Name : null,
        };
        if (assignments is not null)
        {
            foreach (var (member, bytes) in assignments)
            {
                request.Assignments.Add(new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = member, Assignment = bytes });
            }
        }
        return await connection.SendAsync<SyncGroupResponse>(request, version, ct).ConfigureAwait(false);
    }

    private void StartHeartbeats()
    {
        lock (_heartbeatLock)
        {
            _heartbeat?.Cancel();
            _heartbeat?.Dispose();
            _heartbeat = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
            _heartbeatLoop = HeartbeatLoopAsync(MemberId, GenerationId, _heartbeat.Token);
        }
    }

    private void StopHeartbeats()
    {
        lock (_heartbeatLock)
        {
            _heartbeat?.Cancel();
        }
    }

    private async Task HeartbeatLoopAsync(string memberId, int generationId, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_heartbeatIntervalMs), _time, ct).ConfigureAwait(false);
                if (_time.GetElapsedTime(Volatile.Read(ref _lastPollTimestamp)).TotalMilliseconds > _rebalanceTimeoutMs)
                {
                    // The application stopped calling Consume: give the partitions to the others instead of claiming liveness.
                    _onError(new KafkaException(ErrorCode.RebalanceInProgress,
                        $"group '{GroupId}': Consume was not called for max.poll.interval.ms ({_rebalanceTimeoutMs} ms); leaving the group"));
                    await LeaveCoreAsync("max.poll.interval.ms exceeded", ct).ConfigureAwait(false);
                    ResetMember();
                    RequestRejoin();
                    return;
                }
                ErrorCode error;
                try
                {
                    var connection = await CoordinatorAsync(ct).ConfigureAwait(false);
                    short version = connection.NegotiateVersion(ApiKey.Heartbeat, 0, 4);
                    var response = await connection.SendAsync<HeartbeatResponse>(new HeartbeatRequest
                    {
                        GroupId = GroupId,
                        GenerationId = generationId,
                        MemberId = memberId,
                        GroupInstanceId = version >= 3 ? GroupInstanceId : null,
                    }, version, ct).ConfigureAwait(false);
                    error = (ErrorCode)response.ErrorCode;
                }
                catch (KafkaException e) when (IsRetriableTransport(e))
                {
                    MarkCoordinatorUnknown();
                    continue;
                }
                if (ct.IsCancellationRequested || generationId != GenerationId)
                {
                    // An answer for a generation this member has already left behind.
                    return;
                }
                switch (error)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.RebalanceInProgress:
                        RequestRejoin();
                        break;
                    case ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId:
                        if (GenerationId == generationId)
                        {
                            if (error == ErrorCode.UnknownMemberId)
                            {
                                ResetMember();
                            }
                            else
                            {
                                GenerationId = -1;
                                _partitionsLost = true;
                            }
                            RequestRejoin();
                        }
                        return;
                    case ErrorCode.FencedInstanceId:
                        _fatal = new KafkaException(error, $"group '{GroupId}': group.instance.id '{GroupInstanceId}' is used by another member") { IsFatal = true };
                        _onError(_fatal);
                        _wakeup();
                        return;
                    case var _ when IsCoordinatorError(error):
                        MarkCoordinatorUnknown();
                        break;
                    default:
                        _onError(new KafkaException(error, $"Heartbeat of group '{GroupId}': {error}"));
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (KafkaException e)
        {
            _onError(e);
        }
    }

    /// <summary>Commits offsets for the group (as this member of its generation when in one).</summary>
    public async Task CommitAsync(IReadOnlyList<(TopicPartition Partition, long Offset, int LeaderEpoch)> offsets, bool asMember,
        CancellationToken cancellationToken)
    {
        if (offsets.Count == 0)
        {
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var ct = linked.Token;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var connection = await CoordinatorAsync(ct).ConfigureAwait(false);
                short version = connection.NegotiateVersion(ApiKey.OffsetCommit, 2, 8);
                var request = new OffsetCommitRequest
                {
                    GroupId = GroupId,
                    GenerationIdOrMemberEpoch = asMember ? GenerationId : -1,
                    MemberId = asMember ? MemberId : "",
                    GroupInstanceId = asMember && version >= 7 ? GroupInstanceId : null,
                };
                foreach (var group in offsets.GroupBy(o => o.Partition.Topic))
                {
                    var topic = new OffsetCommitRequest.OffsetCommitRequestTopic { Name = group.Key };
                    foreach (var (partition, offset, epoch) in group)
                    {
                        topic.Partitions.Add(new OffsetCommitRequest.OffsetCommitRequestPartition
                        {
                            PartitionIndex = partition.Partition,
                            CommittedOffset = offset,
                            CommittedLeaderEpoch = epoch,
                            CommittedMetadata = "",
                        });
                    }
                    request.Topics.Add(topic);
                }
                var response = await connection.SendAsync<OffsetCommitResponse>(request, version, ct).ConfigureAwait(false);
                var error = response.Topics.SelectMany(t => t.Partitions).Select(p => (ErrorCode)p.ErrorCode).FirstOrDefault(e => e != ErrorCode.None);
                if (error == ErrorCode.None)
                {
                    return;
                }
                if (IsCoordinatorError(error) && attempt < 5)
                {
                    MarkCoordinatorUnknown();
                    await BackoffAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (error is ErrorCode.RebalanceInProgress)
                {
                    RequestRejoin();
                }
                else if (error is ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId && asMember)
                {
                    ResetMember();
                    RequestRejoin();
                }
                throw new KafkaException(error, $"OffsetCommit of group '{GroupId}': {error}");
            }
            catch (KafkaException e) when (IsRetriableTransport(e) && attempt < 5)
            {
                MarkCoordinatorUnknown();
                await BackoffAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The committed offsets (with leader epochs) of the given partitions; -1 where none is committed.</summary>
    public async Task<Dictionary<TopicPartition, (long Offset, int LeaderEpoch)>> FetchCommittedAsync(IReadOnlyCollection<TopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var ct = linked.Token;
        while (true)
        {
            try
            {
                var connection = await CoordinatorAsync(ct).ConfigureAwait(false);
                short version = connection.NegotiateVersion(ApiKey.OffsetFetch, 1, 7);
                var request = new OffsetFetchRequest { GroupId = GroupId, RequireStable = true };
                foreach (var group in partitions.GroupBy(p => p.Topic))
                {
                    request.Topics!.Add(new OffsetFetchRequest.OffsetFetchRequestTopic { Name = group.Key, PartitionIndexes = group.Select(p => p.Partition).ToList() });
                }
                var response = await connection.SendAsync<OffsetFetchResponse>(request, version, ct).ConfigureAwait(false);
                var error = (ErrorCode)response.ErrorCode;
                var result = new Dictionary<TopicPartition, (long, int)>();
                foreach (var topic in response.Topics)
                {
                    foreach (var p in topic.Partitions)
                    {
                        if (error == ErrorCode.None && p.ErrorCode != 0)
                        {
                            error = (ErrorCode)p.ErrorCode;
                        }
                        result[new TopicPartition(topic.Name, p.PartitionIndex)] = (p.CommittedOffset, p.CommittedLeaderEpoch);
                    }
                }
                if (error == ErrorCode.None)
                {
                    return result;
                }
                if (IsCoordinatorError(error))
                {
                    MarkCoordinatorUnknown();
                }
                else if (error != ErrorCode.UnstableOffsetCommit)
                {
                    throw new KafkaException(error, $"OffsetFetch of group '{GroupId}': {error}");
                }
                await BackoffAsync(ct).ConfigureAwait(false);
            }
            catch (KafkaException e) when (IsRetriableTransport(e))
            {
                MarkCoordinatorUnknown();
                await BackoffAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Leaves the group (dynamic members only: a static member keeps its place across restarts, as in Kafka).</summary>
    public async Task LeaveAsync(string reason, CancellationToken cancellationToken)
    {
        StopHeartbeats();
        await LeaveCoreAsync(reason, cancellationToken).ConfigureAwait(false);
        MemberId = "";
        GenerationId = -1;
        _rejoinNeeded = true;
    }

    private async Task LeaveCoreAsync(string reason, CancellationToken cancellationToken)
    {
        string memberId = MemberId;
        if (memberId.Length == 0 || GroupInstanceId is not null)
        {
            return;
        }
        try
        {
            var connection = await CoordinatorAsync(cancellationToken).ConfigureAwait(false);
            short version = connection.NegotiateVersion(ApiKey.LeaveGroup, 0, 5);
            var request = new LeaveGroupRequest { GroupId = GroupId };
            if (version >= 3)
            {
                request.Members.Add(new LeaveGroupRequest.MemberIdentity { MemberId = memberId, Reason = version >= 5 ? reason : null });
            }
            else
            {
                request.MemberId = memberId;
            }
            await connection.SendAsync<LeaveGroupResponse>(request, version, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            _onError(e);
        }
    }

    /// <summary>Stops heartbeating without leaving: the coordinator notices after session.timeout.ms.</summary>
    public async ValueTask DisposeAsync()
    {
        StopHeartbeats();
        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _heartbeatLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
