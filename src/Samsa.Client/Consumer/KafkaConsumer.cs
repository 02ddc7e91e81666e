using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Samsa.Client.Config;
using Samsa.Client.Network;
using Samsa.Client.Producer;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Consumer;

/// <summary>
/// The consumer behind <see cref="ConsumerBuilder{TKey,TValue}"/>: a <see cref="Fetcher"/> for the assigned
/// partitions and, with group.id, a <see cref="ConsumerCoordinator"/> for membership and commits. Everything the
/// application sees happens on the thread calling Consume: rebalance callbacks (the JoinGroup/SyncGroup exchange
/// between them runs in the background, across Consume calls), resolving start offsets (OffsetFetch, else
/// auto.offset.reset through ListOffsets), auto-commit every auto.commit.interval.ms, errors from the background
/// (to the error handler). Not thread-safe apart from <see cref="Close"/> and
/// <see cref="Dispose"/>, like Kafka's consumers.
/// </summary>
internal sealed class KafkaConsumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private static int _nextId;

    private readonly ResolvedConfig _config;
    private readonly KafkaCluster _cluster;
    private readonly Fetcher _fetcher;
    private readonly ConsumerCoordinator? _coordinator;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;
    private readonly Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? _assignedHandler;
    private readonly Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? _revokedHandler;
    private readonly Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? _lostHandler;
    private readonly Action<IConsumer<TKey, TValue>, KafkaException>? _errorHandler;
    private readonly TimeProvider _time;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ConcurrentQueue<KafkaException> _errors = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly bool _autoCommit;
    private readonly int _autoCommitIntervalMs;
    private readonly int _maxPollRecords;
    private readonly bool _partitionEof;
    private Task<IReadOnlyList<TopicPartition>>? _join;
    private CancellationTokenSource? _joinCancel;
    private List<TopicPartition> _joinOwned = [];
    private List<string> _subscription = [];
    private Regex[] _patterns = [];
    private IReadOnlyList<string> _subscribedTopics = [];
    private ClusterMetadata? _checkedMetadata;
    private Dictionary<string, int> _subscribedPartitionCounts = [];
    private long _nextAutoCommit;
    private bool _subscribed;
    private int _closed;
    private int _disposed;

    internal KafkaConsumer(ConsumerBuilder<TKey, TValue> builder, IDeserializer<TKey> keyDeserializer, IDeserializer<TValue> valueDeserializer)
    {
        _config = builder.Config.Resolve(ConfigScope.Consumer);
        _time = builder.TimeProvider;
        var assignors = GroupAssignors.Parse(_config.String("partition.assignment.strategy")!);
        if (_config.Int("heartbeat.interval.ms") >= _config.Int("session.timeout.ms"))
        {
            throw new ArgumentException("configuration property \"heartbeat.interval.ms\" must be lower than \"session.timeout.ms\"");
        }
        _keyDeserializer = keyDeserializer;
        _valueDeserializer = valueDeserializer;
        _assignedHandler = builder.AssignedHandler;
        _revokedHandler = builder.RevokedHandler;
        _lostHandler = builder.LostHandler;
        _errorHandler = builder.ErrorHandler;
        _autoCommit = _config.Bool("enable.auto.commit");
        _autoCommitIntervalMs = _config.Int("auto.commit.interval.ms");
        _maxPollRecords = _config.Int("max.poll.records");
        _partitionEof = _config.Bool("enable.partition.eof");
        Name = $"{_config.String("client.id") ?? "samsa"}#consumer-{Interlocked.Increment(ref _nextId)}";
        _cluster = new KafkaCluster(_config);
        _fetcher = new Fetcher(_cluster, _config, Wake, OnBackgroundError);
        if (_config.String("group.id") is { Length: > 0 })
        {
            _coordinator = new ConsumerCoordinator(_cluster, _config, assignors, _time, Wake, OnBackgroundError);
        }
        _nextAutoCommit = AutoCommitDue();
    }

    private long AutoCommitDue() => _time.GetTimestamp() + (_autoCommitIntervalMs * _time.TimestampFrequency / 1000);

    public string Name { get; }

    public string MemberId => _coordinator?.MemberId ?? "";

    public IReadOnlyList<TopicPartition> Assignment => [.. _fetcher.Partitions.Select(p => p.TopicPartition)];

    public IReadOnlyList<string> Subscription => _subscription;

    public ConsumerGroupMetadata? ConsumerGroupMetadata => _coordinator is { } c
        ? new ConsumerGroupMetadata(c.GroupId, c.GenerationId, c.MemberId, c.GroupInstanceId) : null;

    private void Wake() => _wake.Set();

    private void OnBackgroundError(KafkaException error)
    {
        _errors.Enqueue(error);
        _wake.Set();
    }

    private ConsumerCoordinator Coordinator => _coordinator
        ?? throw new KafkaException(ErrorCode.InvalidGroupId, "this needs configuration property \"group.id\"");

    public void Subscribe(string topic) => Subscribe([topic]);

    public void Subscribe(IEnumerable<string> topics)
    {
        ThrowIfClosed();
        var list = topics.Distinct().ToList();
        if (list.Count == 0)
        {
            Unsubscribe();
            return;
        }
        _ = Coordinator;
        if (!_subscribed)
        {
            _fetcher.Clear();
        }
        _subscription = list;
        _patterns = [.. list.Where(t => t.StartsWith('^')).Select(t => new Regex(t, RegexOptions.CultureInvariant))];
        if (_patterns.Length > 0)
        {
            _cluster.TrackAllTopics();
        }
        _cluster.TrackTopics(list.Where(t => !t.StartsWith('^')));
        _subscribedTopics = MatchTopics(_cluster.Metadata);
        _checkedMetadata = null;
        _subscribed = true;
        _coordinator!.RequestRejoin();
    }

    public void Unsubscribe()
    {
        ThrowIfClosed();
        if (_subscribed && _coordinator is { } coordinator)
        {
            CancelJoin();
            GiveUpPartitions();
            Wait(coordinator.LeaveAsync("the consumer unsubscribed", _closing.Token));
        }
        _subscribed = false;
        _subscription = [];
        _patterns = [];
        _subscribedTopics = [];
    }

    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ThrowIfClosed();
        if (_subscribed)
        {
            throw new InvalidOperationException("Assign cannot be used while subscribed; call Unsubscribe first");
        }
        _fetcher.Clear();
        _fetcher.Add(partitions.ToList());
    }

    public void Assign(IEnumerable<TopicPartition> partitions) => Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Stored)));

    public void Unassign()
    {
        ThrowIfClosed();
        _fetcher.Clear();
    }

    public ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout)
    {
        try
        {
            return ConsumeCore(timeout);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // Disposed from another thread while this one waited on the network.
            throw new ObjectDisposedException(Name);
        }
    }

    private ConsumeResult<TKey, TValue>? ConsumeCore(TimeSpan timeout)
    {
        var sink = new SingleRecordSink(this);
        long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
        while (true)
        {
            _wake.Reset();
            Poll();
            if (_fetcher.Read(ref sink, 1) > 0)
            {
                return sink.Result;
            }
            if (_partitionEof && _fetcher.TakeEndOfPartition() is { } eof)
            {
                return new ConsumeResult<TKey, TValue>
                {
                    Topic = eof.Topic,
                    Partition = eof.Partition,
                    Offset = eof.Position,
                    IsPartitionEOF = true,
                    Message = null!,
                };
            }
            _fetcher.SendFetches();
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return null;
            }
            _wake.Wait((int)Math.Min(remaining, 100));
        }
    }

    public ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                return result;
            }
        }
    }

    public int ConsumeBatch(IRecordVisitor visitor, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        try
        {
            return ConsumeBatchCore(visitor, timeout);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            throw new ObjectDisposedException(Name);
        }
    }

    private int ConsumeBatchCore(IRecordVisitor visitor, TimeSpan timeout)
    {
        var sink = new VisitorSink(visitor);
        long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
        while (true)
        {
            _wake.Reset();
            Poll();
            int count = _fetcher.Read(ref sink, _maxPollRecords);
            if (count > 0)
            {
                _fetcher.SendFetches();
                return count;
            }
            _fetcher.SendFetches();
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return 0;
            }
            _wake.Wait((int)Math.Min(remaining, 100));
        }
    }

    public async IAsyncEnumerable<ConsumeResult<TKey, TValue>> ConsumeAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Buffered records are handed over at once; only waiting for the network leaves this thread.
            var result = Consume(TimeSpan.Zero)
                ?? await Task.Run(() => Consume(TimeSpan.FromMilliseconds(200)), cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                yield return result;
            }
        }
    }

    /// <summary>The work of every Consume before records are handed over.</summary>
    private void Poll()
    {
        ThrowIfClosed();
        while (_errors.TryDequeue(out var error))
        {
            if (_errorHandler is { } handler)
            {
                handler(this, error);
            }
        }
        if (_coordinator is { } coordinator)
        {
            coordinator.OnPoll();
            if (coordinator.Fatal is { } fatal)
            {
                throw fatal;
            }
            if (_subscribed)
            {
                CheckSubscribedTopics(coordinator);
                if (coordinator.RejoinNeeded || _join is not null)
                {
                    Rebalance(coordinator);
                }
            }
        }
        if (_fetcher.NeedsAttention)
        {
            ResolvePositions();
            foreach (var state in _fetcher.Partitions)
            {
                if (state.PendingError is { } pending)
                {
                    throw pending;
                }
            }
        }
        MaybeAutoCommit();
    }

    private IReadOnlyList<string> MatchTopics(ClusterMetadata metadata)
    {
        if (_patterns.Length == 0)
        {
            return [.. _subscription];
        }
        var topics = new SortedSet<string>(_subscription.Where(t => !t.StartsWith('^')), StringComparer.Ordinal);
        foreach (var (name, topic) in metadata.Topics)
        {
            if (!topic.IsInternal && _patterns.Any(p => p.IsMatch(name)))
            {
                topics.Add(name);
            }
        }
        return [.. topics];
    }

    /// <summary>At each metadata refresh: a new topic matching a pattern, or a subscribed topic's new partitions, means a rejoin.</summary>
    private void CheckSubscribedTopics(ConsumerCoordinator coordinator)
    {
        var metadata = _cluster.Metadata;
        if (ReferenceEquals(metadata, _checkedMetadata))
        {
            return;
        }
        _checkedMetadata = metadata;
        var topics = MatchTopics(metadata);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string topic in topics)
        {
            if (metadata.Topic(topic) is { Error: ErrorCode.None } t)
            {
                counts[topic] = t.Partitions.Length;
            }
        }
        bool changed = !topics.SequenceEqual(_subscribedTopics)
            || counts.Count != _subscribedPartitionCounts.Count
            || counts.Any(kv => _subscribedPartitionCounts.GetValueOrDefault(kv.Key) != kv.Value);
        _subscribedTopics = topics;
        _subscribedPartitionCounts = counts;
        if (changed && coordinator.GenerationId >= 0)
        {
            coordinator.RequestRejoin();
        }
    }

    /// <summary>
    /// Starts a rebalance (revoking first with an eager assignor) or finishes the one under way. The join itself runs
    /// in the background, so Consume keeps its timeout and, with cooperative-sticky, keeps reading the partitions the
    /// member still owns; once it completes, the next Consume applies the new assignment and runs the callbacks.
    /// </summary>
    private void Rebalance(ConsumerCoordinator coordinator)
    {
        if (_join is null)
        {
            var owned = _fetcher.Partitions.Select(p => p.TopicPartition).ToList();
            if (coordinator.PartitionsLost)
            {
                LosePartitions(owned);
                owned = [];
            }
            else if (!coordinator.IsCooperative && owned.Count > 0)
            {
                RevokePartitions(owned);
                owned = [];
            }
            if (_subscribedTopics.Count == 0)
            {
                _subscribedTopics = MatchTopics(_cluster.Metadata);
            }
            _joinCancel = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
            _joinOwned = owned;
            _join = coordinator.JoinAsync(_subscribedTopics, owned, _joinCancel.Token);
            _join.ContinueWith(static (_, state) => ((KafkaConsumer<TKey, TValue>)state!).Wake(), this,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        if (!_join.IsCompleted)
        {
            return;
        }
        var join = _join;
        _join = null;
        _joinCancel?.Dispose();
        _joinCancel = null;
        var assigned = Wait(join);
        var held = _joinOwned;
        if (coordinator.PartitionsLost)
        {
            // The member id was reset during the join: what it held may already be someone else's.
            LosePartitions(held);
            held = [];
        }
        var assignedSet = assigned.ToHashSet();
        var revoked = held.Where(p => !assignedSet.Contains(p)).ToList();
        var added = assigned.Where(p => !held.Contains(p)).ToList();
        if (revoked.Count > 0)
        {
            RevokePartitions(revoked);
        }
        IEnumerable<TopicPartitionOffset>? starts = null;
        if (_assignedHandler is { } handler)
        {
            starts = handler(this, added);
        }
        var startList = added.Select(p => new TopicPartitionOffset(p, Offset.Stored)).ToList();
        if (starts is not null)
        {
            var chosen = starts.ToDictionary(s => s.TopicPartition, s => s.Offset);
            for (int i = 0; i < startList.Count; i++)
            {
                if (chosen.TryGetValue(startList[i].TopicPartition, out var offset))
                {
                    startList[i] = startList[i] with { Offset = offset };
                }
            }
        }
        _fetcher.Add(startList);
        if (coordinator.IsCooperative && revoked.Count > 0)
        {
            // KIP-429: the partitions given up now go to their new owners in a second rebalance.
            coordinator.RequestRejoin();
        }
    }

    private List<TopicPartitionOffset> Positions(IEnumerable<TopicPartition> partitions) =>
        partitions.Select(p => new TopicPartitionOffset(p, Position(p))).ToList();

    private void RevokePartitions(List<TopicPartition> partitions)
    {
        if (_autoCommit)
        {
            try
            {
                CommitStored(partitions);
            }
            catch (KafkaException e)
            {
                OnBackgroundError(e);
            }
        }
        var positions = Positions(partitions);
        _revokedHandler?.Invoke(this, positions);
        _fetcher.Remove(partitions);
    }

    private void LosePartitions(List<TopicPartition> partitions)
    {
        _coordinator?.ClearPartitionsLost();
        if (partitions.Count == 0)
        {
            return;
        }
        var positions = Positions(partitions);
        if (_lostHandler is { } lost)
        {
            lost(this, positions);
        }
        else
        {
            _revokedHandler?.Invoke(this, positions);
        }
        _fetcher.Remove(partitions);
    }

    /// <summary>Abandons a join under way (Close, Unsubscribe); the member leaves right after.</summary>
    private void CancelJoin()
    {
        if (_join is { } join)
        {
            _joinCancel!.Cancel();
            try
            {
                join.Wait();
            }
            catch (AggregateException)
            {
            }
            _join = null;
            _joinCancel.Dispose();
            _joinCancel = null;
        }
    }

    /// <summary>Close and Unsubscribe: commit, run the revoked (or lost) handler, drop the partitions.</summary>
    private void GiveUpPartitions()
    {
        var owned = _fetcher.Partitions.Select(p => p.TopicPartition).ToList();
        if (_coordinator is { PartitionsLost: true })
        {
            LosePartitions(owned);
        }
        else if (owned.Count > 0)
        {
            RevokePartitions(owned);
        }
    }

    /// <summary>Finds a start for every partition without a position: the committed offset, else auto.offset.reset.</summary>
    private void ResolvePositions()
    {
        List<(PartitionState State, int Epoch, Offset Start)>? pending = null;
        lock (_fetcher.Sync)
        {
            foreach (var state in _fetcher.Partitions)
            {
                if (!state.HasPosition && state.PendingError is null)
                {
                    (pending ??= []).Add((state, state.Epoch, state.PendingStart));
                }
            }
        }
        if (pending is null)
        {
            return;
        }
        // Bounded, so a coordinator or leader that does not answer delays Consume by a request timeout, not forever;
        // the next Consume tries again.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        bounded.CancelAfter(_cluster.RequestTimeout);
        try
        {
            ResolvePositions(pending, bounded.Token);
        }
        catch (OperationCanceledException) when (!_closing.IsCancellationRequested)
        {
        }
    }

    private void ResolvePositions(List<(PartitionState State, int Epoch, Offset Start)> pending, CancellationToken cancellationToken)
    {
        var byTimestamp = new List<(PartitionState State, int Epoch, long Timestamp)>();
        var stored = pending.Where(p => p.Start == Offset.Stored || p.Start == Offset.Unset).ToList();
        Dictionary<TopicPartition, (long Offset, int LeaderEpoch)>? committed = null;
        if (stored.Count > 0 && _coordinator is { } coordinator)
        {
            committed = Wait(coordinator.FetchCommittedAsync(stored.Select(p => p.State.TopicPartition).ToList(), cancellationToken));
        }
        foreach (var (state, epoch, start) in pending)
        {
            if (start.Value >= 0)
            {
                _fetcher.SetResolvedPosition(state, epoch, start.Value);
            }
            else if (start == Offset.Beginning || start == Offset.End)
            {
                byTimestamp.Add((state, epoch, start.Value));
            }
            else if (committed is not null && committed.TryGetValue(state.TopicPartition, out var c) && c.Offset >= 0)
            {
                state.CommittedOffset = c.Offset;
                _fetcher.SetResolvedPosition(state, epoch, c.Offset);
            }
            else
            {
                switch (_fetcher.ResetPolicy)
                {
                    case AutoOffsetReset.Earliest:
                        byTimestamp.Add((state, epoch, Offset.Beginning.Value));
                        break;
                    case AutoOffsetReset.Latest:
                        byTimestamp.Add((state, epoch, Offset.End.Value));
                        break;
                    default:
                        _fetcher.ApplyResetPolicy(state, "there is no committed offset");
                        break;
                }
            }
        }
        if (byTimestamp.Count > 0)
        {
            var offsets = Wait(ListOffsetsAsync(byTimestamp.Select(p => (p.State.TopicPartition, p.Timestamp)).ToList(), cancellationToken));
            foreach (var (state, epoch, _) in byTimestamp)
            {
                if (offsets.TryGetValue(state.TopicPartition, out long offset))
                {
                    _fetcher.SetResolvedPosition(state, epoch, offset);
                }
            }
        }
    }

    /// <summary>
    /// ListOffsets for each partition at its leader (timestamp -2 the log start, -1 the end: the last stable offset
    /// under read_committed). Partitions whose leader is unknown or moved are left out; the caller retries later.
    /// </summary>
    private async Task<Dictionary<TopicPartition, long>> ListOffsetsAsync(IReadOnlyList<(TopicPartition Partition, long Timestamp)> requests,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<TopicPartition, long>();
        foreach (string topic in requests.Select(r => r.Partition.Topic).Distinct())
        {
            try
            {
                await _cluster.WaitForTopicAsync(topic, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                OnBackgroundError(e);
            }
        }
        var metadata = _cluster.Metadata;
        foreach (var group in requests.GroupBy(r => metadata.LeaderFor(r.Partition.Topic, r.Partition.Partition)))
        {
            if (group.Key < 0)
            {
                _cluster.RequestMetadataUpdate();
                continue;
            }
            try
            {
                var connection = await _cluster.GetConnectionAsync(group.Key, cancellationToken).ConfigureAwait(false);
                // v3 at most: v4+ adds only leader-epoch fencing, which this consumer does not do, and librdkafka 2.0.2's
                // mock cluster writes the v4+ leader epoch with the wrong width, garbling every partition after the first.
                short version = connection.NegotiateVersion(ApiKey.ListOffsets, 1, 3);
                var request = new ListOffsetsRequest { ReplicaId = -1, IsolationLevel = _fetcher.IsolationLevel };
                foreach (var topicGroup in group.GroupBy(r => r.Partition.Topic))
                {
                    var topic = new ListOffsetsRequest.ListOffsetsTopic { Name = topicGroup.Key };
                    foreach (var (partition, timestamp) in topicGroup)
                    {
                        topic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition.Partition, Timestamp = timestamp });
                    }
                    request.Topics.Add(topic);
                }
                var response = await connection.SendAsync<ListOffsetsResponse>(request, version, cancellationToken).ConfigureAwait(false);
                foreach (var topic in response.Topics)
                {
                    foreach (var p in topic.Partitions)
                    {
                        if (p.ErrorCode == 0)
                        {
                            result[new TopicPartition(topic.Name, p.PartitionIndex)] = p.Offset;
                        }
                        else
                        {
                            _cluster.RequestMetadataUpdate();
                        }
                    }
                }
            }
            catch (KafkaException e)
            {
                _cluster.RequestMetadataUpdate();
                OnBackgroundError(e);
            }
        }
        return result;
    }

    private void MaybeAutoCommit()
    {
        if (!_autoCommit || _coordinator is null || _time.GetTimestamp() < _nextAutoCommit)
        {
            return;
        }
        _nextAutoCommit = AutoCommitDue();
        if (_subscribed && _coordinator.RejoinNeeded)
        {
            return;
        }
        var offsets = StoredToCommit(null);
        if (offsets.Count > 0)
        {
            _ = AutoCommitAsync(offsets);
        }
    }

    private async Task AutoCommitAsync(List<(PartitionState State, long Offset, int LeaderEpoch)> offsets)
    {
        try
        {
            await _coordinator!.CommitAsync([.. offsets.Select(o => (o.State.TopicPartition, o.Offset, o.LeaderEpoch))], _subscribed, _closing.Token)
                .ConfigureAwait(false);
            foreach (var (state, offset, _) in offsets)
            {
                state.CommittedOffset = offset;
            }
        }
        catch (KafkaException e)
        {
            OnBackgroundError(e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private List<(PartitionState State, long Offset, int LeaderEpoch)> StoredToCommit(IReadOnlyCollection<TopicPartition>? only)
    {
        var result = new List<(PartitionState, long, int)>();
        foreach (var state in _fetcher.Partitions)
        {
            if (state.StoredOffset >= 0 && state.StoredOffset != state.CommittedOffset && (only is null || only.Contains(state.TopicPartition)))
            {
                result.Add((state, state.StoredOffset, state.StoredLeaderEpoch));
            }
        }
        return result;
    }

    private List<TopicPartitionOffset> CommitStored(IReadOnlyCollection<TopicPartition>? only)
    {
        var offsets = StoredToCommit(only);
        if (offsets.Count == 0)
        {
            return [];
        }
        Wait(Coordinator.CommitAsync([.. offsets.Select(o => (o.State.TopicPartition, o.Offset, o.LeaderEpoch))], _subscribed, _closing.Token));
        foreach (var (state, offset, _) in offsets)
        {
            state.CommittedOffset = offset;
        }
        return [.. offsets.Select(o => new TopicPartitionOffset(o.State.TopicPartition, o.Offset))];
    }

    public void Seek(TopicPartitionOffset position)
    {
        ThrowIfClosed();
        _fetcher.Seek(position.TopicPartition, position.Offset);
    }

    public void Pause(IEnumerable<TopicPartition> partitions) => _fetcher.SetPaused(partitions, true);

    public void Resume(IEnumerable<TopicPartition> partitions) => _fetcher.SetPaused(partitions, false);

    public Offset Position(TopicPartition partition) =>
        _fetcher.Find(partition) is { HasPosition: true } state ? new Offset(state.Position) : Offset.Unset;

    public void StoreOffset(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        StoreOffset(new TopicPartitionOffset(result.TopicPartition, result.Offset.Value + 1));
    }

    public void StoreOffset(TopicPartitionOffset offset)
    {
        var state = _fetcher.Find(offset.TopicPartition)
            ?? throw new KafkaException(ErrorCode.UnknownTopicOrPartition, $"{offset.TopicPartition} is not assigned");
        state.StoredOffset = offset.Offset.Value;
        state.StoredLeaderEpoch = -1;
    }

    public IReadOnlyList<TopicPartitionOffset> Commit()
    {
        ThrowIfClosed();
        return CommitStored(null);
    }

    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => Wait(CommitAsync(offsets, _closing.Token));

    public void Commit(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Commit([new TopicPartitionOffset(result.TopicPartition, result.Offset.Value + 1)]);
    }

    public Task<IReadOnlyList<TopicPartitionOffset>> CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var offsets = StoredToCommit(null);
        return CommitAndRecordAsync(offsets, cancellationToken);
    }

    private async Task<IReadOnlyList<TopicPartitionOffset>> CommitAndRecordAsync(List<(PartitionState State, long Offset, int LeaderEpoch)> offsets,
        CancellationToken cancellationToken)
    {
        await Coordinator.CommitAsync([.. offsets.Select(o => (o.State.TopicPartition, o.Offset, o.LeaderEpoch))], _subscribed, cancellationToken)
            .ConfigureAwait(false);
        foreach (var (state, offset, _) in offsets)
        {
            state.CommittedOffset = offset;
        }
        return [.. offsets.Select(o => new TopicPartitionOffset(o.State.TopicPartition, o.Offset))];
    }

    public async Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var list = offsets.ToList();
        if (list.Any(o => o.Offset.Value < 0))
        {
            throw new ArgumentException("committed offsets must be real offsets, not special ones", nameof(offsets));
        }
        await Coordinator.CommitAsync([.. list.Select(o => (o.TopicPartition, o.Offset.Value, -1))], _subscribed, cancellationToken).ConfigureAwait(false);
        foreach (var o in list)
        {
            if (_fetcher.Find(o.TopicPartition) is { } state)
            {
                state.CommittedOffset = o.Offset.Value;
            }
        }
    }

    public IReadOnlyList<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        ThrowIfClosed();
        var list = partitions.ToList();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        cts.CancelAfter(timeout);
        var committed = WaitOrTimeout(Coordinator.FetchCommittedAsync(list, cts.Token), "Committed");
        return [.. list.Select(p => new TopicPartitionOffset(p, committed.TryGetValue(p, out var c) && c.Offset >= 0 ? new Offset(c.Offset) : Offset.Unset))];
    }

    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition partition, TimeSpan timeout)
    {
        ThrowIfClosed();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        cts.CancelAfter(timeout);
        var low = WaitOrTimeout(ListOffsetsAsync([(partition, Offset.Beginning.Value)], cts.Token), "QueryWatermarkOffsets");
        var high = WaitOrTimeout(ListOffsetsAsync([(partition, Offset.End.Value)], cts.Token), "QueryWatermarkOffsets");
        if (!low.TryGetValue(partition, out long lowOffset) || !high.TryGetValue(partition, out long highOffset))
        {
            throw new KafkaException(ErrorCode.LeaderNotAvailable, $"no watermarks for {partition}: its leader did not answer");
        }
        return new WatermarkOffsets(lowOffset, highOffset);
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        try
        {
            if (_coordinator is { } coordinator)
            {
                if (_subscribed)
                {
                    CancelJoin();
                    GiveUpPartitions();
                    Wait(coordinator.LeaveAsync("the consumer is closing", CancellationToken.None));
                }
                else if (_autoCommit)
                {
                    CommitStored(null);
                }
            }
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Releases everything without committing or leaving: the group notices after session.timeout.ms.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Interlocked.Exchange(ref _closed, 1);
        _closing.Cancel();
        if (_coordinator is { } coordinator)
        {
            coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _fetcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _closing.Dispose();
        _wake.Dispose();
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private T WaitOrTimeout<T>(Task<T> task, string operation)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (!_closing.IsCancellationRequested)
        {
            throw new KafkaException(ErrorCode.RequestTimedOut, $"{operation} timed out");
        }
    }

    private ConsumeResult<TKey, TValue> ToResult(in ConsumedRecord record)
    {
        Headers? headers = null;
        if (record.HeaderCount > 0)
        {
            headers = [];
            foreach (var header in record.Headers)
            {
                headers.Add(Encoding.UTF8.GetString(header.Key), header.IsValueNull ? null : header.Value.ToArray());
            }
        }
        TKey key;
        TValue value;
        try
        {
            key = _keyDeserializer.Deserialize(record.Key, record.IsKeyNull, new SerializationContext(MessageComponentType.Key, record.Topic, headers));
            value = _valueDeserializer.Deserialize(record.Value, record.IsValueNull, new SerializationContext(MessageComponentType.Value, record.Topic, headers));
        }
        catch (Exception e) when (e is not KafkaException)
        {
            throw new ConsumeException(ErrorCode.CorruptMessage, $"{record.Topic} [{record.Partition}] @{record.Offset}: cannot deserialize: {e.Message}",
                new TopicPartitionOffset(record.Topic, record.Partition, record.Offset), e);
        }
        return new ConsumeResult<TKey, TValue>
        {
            Topic = record.Topic,
            Partition = record.Partition,
            Offset = record.Offset,
            LeaderEpoch = record.LeaderEpoch,
            Message = new Message<TKey, TValue> { Key = key, Value = value, Headers = headers, Timestamp = record.Timestamp },
        };
    }

    private struct SingleRecordSink(KafkaConsumer<TKey, TValue> owner) : IRecordSink
    {
        public ConsumeResult<TKey, TValue>? Result { get; private set; }

        public void Accept(in ConsumedRecord record) => Result = owner.ToResult(record);
    }

    private readonly struct VisitorSink(IRecordVisitor visitor) : IRecordSink
    {
        public void Accept(in ConsumedRecord record) => visitor.OnRecord(record);
    }
}
