using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>
/// Transactional offset commits (TxnOffsetCommit, KIP-98/KIP-447). The offsets are written to the group's
/// __consumer_offsets partition as one transactional batch of the producer (same record layouts as ordinary commits,
/// see <see cref="OffsetsTopicRecords"/>), held as pending offsets of the group per producer id, and become committed
/// offsets when the producer's COMMIT marker lands in that partition (<see cref="HandleTxnCompletion"/>); ABORT drops
/// them. OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for a partition while one is pending.
/// Lock order: a group's lock, then <c>_producerGroupsLock</c> (a leaf: nothing else is taken while it is held).
/// </summary>
internal sealed partial class GroupCoordinator
{
    private readonly Lock _producerGroupsLock = new();

    /// <summary>Producer id -> groups holding its pending transactional offsets. Guarded by <c>_producerGroupsLock</c>.</summary>
    private readonly Dictionary<long, HashSet<string>> _producerGroups = new();

    /// <summary>
    /// Writes a producer's transactional offsets for a group. Given a member id, generation or instance id (v3), they
    /// are checked as OffsetCommit checks them; with generation -1 and no member the check is skipped (older clients,
    /// producers outside the group). Returns each partition's error; NONE means the record is in the log, pending.
    /// </summary>
    public async Task<Dictionary<TopicPartition, ErrorCode>> CommitTxnOffsetsAsync(string groupId, long producerId, short producerEpoch,
        int generationId, string memberId, string? instanceId,
        IReadOnlyList<(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata)> offsets)
    {
        var results = new Dictionary<TopicPartition, ErrorCode>();
        Dictionary<TopicPartition, ErrorCode> Fail(ErrorCode error)
        {
            foreach (var o in offsets)
            {
                results[o.Partition] = error;
            }
            return results;
        }
        if (string.IsNullOrEmpty(groupId))
        {
            return Fail(ErrorCode.InvalidGroupId);
        }
        bool checkMember = generationId >= 0 || memberId.Length > 0 || instanceId is not null;
        EnsureOffsetsTopic();
        GroupMetadata group;
        if (!_groups.TryGetValue(groupId, out group!))
        {
            if (checkMember)
            {
                return Fail(ErrorCode.UnknownMemberId);
            }
            group = _groups.GetOrAdd(groupId, NewEmptyGroup);
        }

        var accepted = new List<(TopicPartition Partition, CommittedOffset Offset)>();
        ValueTask<Cluster.PartitionAppendResult> append;
        lock (group.Lock)
        {
            if (group.State == GroupState.Dead)
            {
                return Fail(ErrorCode.CoordinatorNotAvailable);
            }
            if (checkMember)
            {
                if (IsFenced(group, instanceId, memberId))
                {
                    return Fail(ErrorCode.FencedInstanceId);
                }
                if (!group.Members.ContainsKey(memberId))
                {
                    return Fail(ErrorCode.UnknownMemberId);
                }
                if (generationId != group.GenerationId)
                {
                    return Fail(ErrorCode.IllegalGeneration);
                }
            }
            long now = NowMs;
            AcceptOffsets(offsets, now, results, accepted);
            if (accepted.Count == 0)
            {
                return results;
            }
            using var builder = new RecordBatchBuilder
            {
                ProducerId = producerId,
                ProducerEpoch = producerEpoch,
                BaseSequence = RecordBatchHeader.NoSequence,
                IsTransactional = true,
            };
            foreach (var (partition, committed) in accepted)
            {
                builder.Append(now, OffsetsTopicRecords.OffsetCommitKey(groupId, partition), OffsetsTopicRecords.OffsetCommitValue(committed));
            }
            // The append itself happens here, under the group's lock, so the log order matches the order of the
            // coordinator's decisions; only the wait for the flush runs outside it.
            append = _replicas.AppendAsCoordinatorAsync(new TopicPartition(OffsetsTopic, PartitionFor(groupId)), builder.ToArray(), waitForFlush: true);
        }

        var result = await append.ConfigureAwait(false);
        var error = TxnOffsetAppendError(result.Error);
        if (error == ErrorCode.None)
        {
            lock (group.Lock)
            {
                if (group.State != GroupState.Dead)
                {
                    if (!group.PendingTxnOffsets.TryGetValue(producerId, out var pending))
                    {
                        group.PendingTxnOffsets[producerId] = pending = new Dictionary<TopicPartition, CommittedOffset>();
                    }
                    foreach (var (partition, committed) in accepted)
                    {
                        pending[partition] = committed with { RecordOffset = result.BaseOffset };
                    }
                    AddProducerGroup(producerId, groupId);
                }
            }
        }
        else
        {
            LogTxnOffsetCommitFailed(_logger, groupId, producerId, producerEpoch, result.Error, error);
        }
        foreach (var (partition, _) in accepted)
        {
            results[partition] = error;
        }
        return results;
    }

    /// <summary>
    /// The error a TxnOffsetCommit answers for a failed append, as Kafka's GroupMetadataManager maps it. Producer-state
    /// errors of the log (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, ...) pass through unchanged for every version.
    /// </summary>
    internal static ErrorCode TxnOffsetAppendError(ErrorCode appendError) => appendError switch
    {
        ErrorCode.None => ErrorCode.None,
        ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.RequestTimedOut => ErrorCode.CoordinatorNotAvailable,
        ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError => ErrorCode.NotCoordinator,
        ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidFetchSize => ErrorCode.InvalidCommitOffsetSize,
        _ => appendError,
    };

    /// <summary>
    /// Committed offsets of a group as OffsetFetch reports them: the named partitions (-1 where none) or all committed
    /// ones when null, each with its error. With <paramref name="requireStable"/> a partition holding a pending
    /// transactional offset answers UNSTABLE_OFFSET_COMMIT (offset -1), so the consumer retries once the transaction ends.
    /// </summary>
    public IReadOnlyList<(TopicPartition Partition, CommittedOffset? Offset, ErrorCode Error)> FetchOffsets(string groupId,
        IReadOnlyList<TopicPartition>? partitions, bool requireStable)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return partitions?.Select(p => (p, (CommittedOffset?)null, ErrorCode.None)).ToList() ?? [];
        }
        lock (group.Lock)
        {
            IEnumerable<TopicPartition> wanted = partitions is not null ? partitions
                : group.Offsets.Keys.OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition);
            var result = new List<(TopicPartition, CommittedOffset?, ErrorCode)>();
            foreach (var tp in wanted)
            {
                if (requireStable && group.HasPendingTxnOffset(tp))
                {
                    result.Add((tp, null, ErrorCode.UnstableOffsetCommit));
                }
                else
                {
                    result.Add((tp, group.Offsets.TryGetValue(tp, out var o) ? o : null, ErrorCode.None));
                }
            }
            return result;
        }
    }

    /// <summary>True when some producer's open transaction holds an offset of this group and partition.</summary>
    public bool HasPendingTxnOffset(string groupId, TopicPartition partition)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return false;
        }
        lock (group.Lock)
        {
            return group.HasPendingTxnOffset(partition);
        }
    }

    private void AddProducerGroup(long producerId, string groupId)
    {
        lock (_producerGroupsLock)
        {
            if (!_producerGroups.TryGetValue(producerId, out var groups))
            {
                _producerGroups[producerId] = groups = new HashSet<string>(StringComparer.Ordinal);
            }
            groups.Add(groupId);
        }
    }

    /// <summary>Removes and returns the producer's groups that are stored in the given __consumer_offsets partition.</summary>
    private List<string> TakeProducerGroups(long producerId, int offsetsPartition)
    {
        var taken = new List<string>();
        int partitionCount = OffsetsPartitionCount;
        lock (_producerGroupsLock)
        {
            if (!_producerGroups.TryGetValue(producerId, out var groups))
            {
                return taken;
            }
            foreach (string groupId in groups)
            {
                if (PartitionFor(groupId, partitionCount) == offsetsPartition)
                {
                    taken.Add(groupId);
                }
            }
            foreach (string groupId in taken)
            {
                groups.Remove(groupId);
            }
            if (groups.Count == 0)
            {
                _producerGroups.Remove(producerId);
            }
        }
        return taken;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Transaction of producer {ProducerId} {Outcome} in __consumer_offsets-{Partition}: {Groups} groups, {Applied} offsets now committed")]
    private static partial void LogTxnCompleted(ILogger logger, long producerId, string outcome, int partition, int groups, int applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TxnOffsetCommit of group {GroupId} by producer {ProducerId} epoch {ProducerEpoch} failed: append {AppendError}, answering {Error}")]
    private static partial void LogTxnOffsetCommitFailed(ILogger logger, string groupId, long producerId, short producerEpoch, ErrorCode appendError, ErrorCode error);
}
