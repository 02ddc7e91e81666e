using Samsa.Client.Config;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Consumer;

/// <summary>
/// The assigned partitions and their fetching. Sessionless Fetch (v4-v12, session id 0, epoch -1) goes to each
/// partition's leader; per broker at most one fetch is in flight and at most one more response waits beside the one
/// the application is reading, so the next fetch travels while the application works. A response is split into one
/// <see cref="CompletedFetch"/> per partition, in arrival order; the fetch position of a partition moves past the last
/// whole batch received, so the following fetch can be sent before the application has read it. Paused partitions are
/// not fetched and their buffered data waits; a seek or reset bumps the partition's epoch, which drops its buffered
/// data and any answer to a fetch already sent. Partition errors: OFFSET_OUT_OF_RANGE applies auto.offset.reset;
/// leadership errors and network failures refresh the metadata and retry after retry.backoff.ms.
/// Thread-safe: partition states change under <see cref="Sync"/>; reading (<see cref="Read"/>) is for the thread
/// calling Consume.
/// </summary>
internal sealed class Fetcher : IAsyncDisposable
{
    private readonly KafkaCluster _cluster;
    private readonly int _minBytes;
    private readonly int _maxBytes;
    private readonly int _maxWaitMs;
    private readonly int _partitionMaxBytes;
    private readonly sbyte _isolationLevel;
    private readonly bool _checkCrcs;
    private readonly bool _autoStore;
    private readonly int _retryBackoffMs;
    private readonly AutoOffsetReset _resetPolicy;
    private readonly Action _wakeup;
    private readonly Action<KafkaException> _onError;
    private readonly Dictionary<TopicPartition, PartitionState> _assigned = [];
    private readonly Dictionary<int, BrokerFetchState> _brokers = [];
    private readonly List<CompletedFetch> _completed = [];
    private readonly Queue<PartitionState> _eofCandidates = new();
    private readonly CancellationTokenSource _closing = new();
    private CompletedFetch? _current;
    private long _lastMetadataRequestMs;
    private bool _closed;

    public Fetcher(KafkaCluster cluster, ResolvedConfig config, Action wakeup, Action<KafkaException> onError)
    {
        _cluster = cluster;
        _minBytes = config.Int("fetch.min.bytes");
        _maxBytes = config.Int("fetch.max.bytes");
        _maxWaitMs = config.Int("fetch.max.wait.ms");
        _partitionMaxBytes = config.Int("max.partition.fetch.bytes");
        _isolationLevel = config.String("isolation.level") == "read_uncommitted" ? (sbyte)0 : (sbyte)1;
        _checkCrcs = config.Bool("check.crcs");
        _autoStore = config.Bool("enable.auto.offset.store");
        _retryBackoffMs = config.Int("retry.backoff.ms");
        _resetPolicy = config.String("auto.offset.reset") switch
        {
            "earliest" => AutoOffsetReset.Earliest,
            "latest" => AutoOffsetReset.Latest,
            _ => AutoOffsetReset.Error,
        };
        _wakeup = wakeup;
        _onError = onError;
    }

    public Lock Sync { get; } = new();

    public AutoOffsetReset ResetPolicy => _resetPolicy;

    public sbyte IsolationLevel => _isolationLevel;

    /// <summary>The assigned partitions, in assignment order. Take <see cref="Sync"/> to read states consistently.</summary>
    public IReadOnlyCollection<PartitionState> Partitions
    {
        get
        {
            lock (Sync)
            {
                return [.. _assigned.Values];
            }
        }
    }

    /// <summary>True when some partition has no position yet or an error to report; cheap, for every Consume.</summary>
    public bool NeedsAttention
    {
        get
        {
            lock (Sync)
            {
                foreach (var state in _assigned.Values)
                {
                    if (!state.HasPosition || state.PendingError is not null)
                    {
                        return true;
                    }
                }
                return false;
            }
        }
    }

    public PartitionState? Find(TopicPartition partition)
    {
        lock (Sync)
        {
            return _assigned.GetValueOrDefault(partition);
        }
    }

    /// <summary>Adds partitions (keeping those already assigned), each starting at its offset.</summary>
    public void Add(IEnumerable<TopicPartitionOffset> partitions)
    {
        lock (Sync)
        {
            foreach (var tpo in partitions)
            {
                if (!_assigned.ContainsKey(tpo.TopicPartition))
                {
                    var state = new PartitionState(tpo.TopicPartition);
                    state.Reset(tpo.Offset);
                    _assigned.Add(tpo.TopicPartition, state);
                }
            }
        }
        _cluster.TrackTopics(partitions.Select(p => p.Topic).Distinct());
        _wakeup();
    }

    /// <summary>Removes partitions and drops whatever was fetched for them.</summary>
    public void Remove(IEnumerable<TopicPartition> partitions)
    {
        lock (Sync)
        {
            foreach (var tp in partitions)
            {
                if (_assigned.Remove(tp, out var state))
                {
                    state.Epoch++;
                }
            }
            DropStale();
        }
    }

    public void Clear() => Remove(Partitions.Select(p => p.TopicPartition).ToList());

    /// <summary>Moves a partition's position; Stored, Beginning and End are resolved before the next fetch.</summary>
    public void Seek(TopicPartition partition, Offset offset)
    {
        lock (Sync)
        {
            var state = _assigned.GetValueOrDefault(partition)
                ?? throw new KafkaException(ErrorCode.UnknownTopicOrPartition, $"{partition} is not assigned");
            state.Reset(offset);
            DropStale();
        }
        _wakeup();
    }

    public void SetPaused(IEnumerable<TopicPartition> partitions, bool paused)
    {
        lock (Sync)
        {
            foreach (var tp in partitions)
            {
                if (_assigned.TryGetValue(tp, out var state))
                {
                    state.IsPaused = paused;
                }
            }
        }
        _wakeup();
    }

    /// <summary>Sets the position found for a partition that had none, unless it was reset or moved meanwhile.</summary>
    public void SetResolvedPosition(PartitionState state, int epoch, long offset)
    {
        lock (Sync)
        {
            if (state.Epoch == epoch && !state.HasPosition && _assigned.ContainsKey(state.TopicPartition))
            {
                state.Position = offset;
                state.FetchOffset = offset;
            }
        }
        _wakeup();
    }

    /// <summary>Applies auto.offset.reset to a partition whose position is out of range (or unknown).</summary>
    public void ApplyResetPolicy(PartitionState state, string why)
    {
        lock (Sync)
        {
            if (_resetPolicy == AutoOffsetReset.Error)
            {
                long position = state.Position >= 0 ? state.Position : state.FetchOffset;
                state.Reset(Offset.Unset);
                state.PendingError = new ConsumeException(ErrorCode.OffsetOutOfRange,
                    $"{state.TopicPartition}: {why} and auto.offset.reset is none", new TopicPartitionOffset(state.TopicPartition, position));
            }
            else
            {
                state.Reset(_resetPolicy == AutoOffsetReset.Earliest ? Offset.Beginning : Offset.End);
            }
            DropStale();
        }
    }

    /// <summary>
    /// Hands buffered records to <paramref name="sink"/>, at most <paramref name="max"/>; 0 when none are buffered
    /// for an assigned, unpaused partition.
    /// </summary>
    public int Read<TSink>(ref TSink sink, int max)
        where TSink : struct, IRecordSink
    {
        int total = 0;
        while (total < max)
        {
            var current = _current;
            if (current is null || current.IsStale || current.Partition.IsPaused)
            {
                current = NextCompleted();
                if (current is null)
                {
                    break;
                }
            }
            try
            {
                total += current.Read(ref sink, max - total);
            }
            catch
            {
                ReleaseCurrent();
                throw;
            }
            if (current.IsDrained)
            {
                ReleaseCurrent();
                if (current.Partition.HighWatermark >= 0)
                {
                    lock (Sync)
                    {
                        _eofCandidates.Enqueue(current.Partition);
                    }
                }
            }
        }
        return total;
    }

    /// <summary>A partition that reached its end since the last call and has not been reported; null when none.</summary>
    public PartitionState? TakeEndOfPartition()
    {
        lock (Sync)
        {
            while (_eofCandidates.TryDequeue(out var state))
            {
                long end = _isolationLevel == 1 && state.LastStableOffset >= 0 ? state.LastStableOffset : state.HighWatermark;
                if (!state.EofReported && state.HasPosition && state.Position >= end && _assigned.ContainsKey(state.TopicPartition)
                    && !_completed.Any(c => c.Partition == state))
                {
                    state.EofReported = true;
                    return state;
                }
            }
            return null;
        }
    }

    private CompletedFetch? NextCompleted()
    {
        lock (Sync)
        {
            if (_current is { } current)
            {
                _current = null;
                if (current.IsStale)
                {
                    current.Dispose();
                }
                else
                {
                    // Paused: its data waits at the front for Resume.
                    _completed.Insert(0, current);
                }
            }
            for (int i = 0; i < _completed.Count; i++)
            {
                var candidate = _completed[i];
                if (candidate.IsStale)
                {
                    _completed.RemoveAt(i--);
                    candidate.Dispose();
                    continue;
                }
                if (candidate.Partition.IsPaused)
                {
                    continue;
                }
                // Records of one partition stay in order: only its earliest buffered response may be read.
                bool earlierPaused = false;
                for (int j = 0; j < i; j++)
                {
                    earlierPaused |= _completed[j].Partition == candidate.Partition;
                }
                if (earlierPaused)
                {
                    continue;
                }
                _completed.RemoveAt(i);
                _current = candidate;
                return candidate;
            }
            return null;
        }
    }

    private void ReleaseCurrent()
    {
        var current = _current;
        _current = null;
        current?.Dispose();
    }

    private void DropStale()
    {
        for (int i = _completed.Count - 1; i >= 0; i--)
        {
            if (_completed[i].IsStale)
            {
                _completed[i].Dispose();
                _completed.RemoveAt(i);
            }
        }
    }

    /// <summary>Sends a fetch to every broker that leads a fetchable partition and has room for another response.</summary>
    public void SendFetches()
    {
        List<(BrokerFetchState Broker, List<(PartitionState State, int Epoch, long Offset)> Partitions)>? sends = null;
        bool needMetadata = false;
        lock (Sync)
        {
            if (_closed)
            {
                return;
            }
            long now = Environment.TickCount64;
            var metadata = _cluster.Metadata;
            Dictionary<int, List<(PartitionState, int, long)>>? byLeader = null;
            foreach (var state in _assigned.Values)
            {
                if (state.IsPaused || state.IsFetching || state.FetchOffset < 0 || state.PendingError is not null)
                {
                    continue;
                }
                int leader = metadata.LeaderFor(state.Topic, state.Partition);
                if (leader < 0)
                {
                    needMetadata = true;
                    continue;
                }
                var broker = BrokerState(leader);
                if (broker.InFlight || broker.Buffered > 1 || broker.RetryAtMs > now)
                {
                    continue;
                }
                byLeader ??= [];
                if (!byLeader.TryGetValue(leader, out var list))
                {
                    byLeader[leader] = list = [];
                }
                list.Add((state, state.Epoch, state.FetchOffset));
            }
            if (byLeader is not null)
            {
                sends = [];
                foreach (var (leader, list) in byLeader)
                {
                    var broker = BrokerState(leader);
                    broker.InFlight = true;
                    foreach (var (state, _, _) in list)
                    {
                        state.IsFetching = true;
                    }
                    sends.Add((broker, list));
                }
            }
        }
        if (needMetadata)
        {
            RequestMetadataUpdate();
        }
        if (sends is not null)
        {
            foreach (var (broker, partitions) in sends)
            {
                _ = FetchAsync(broker, partitions);
            }
        }
    }

    /// <summary>Asks for fresh metadata at most once per retry.backoff.ms, however often fetching finds no leader.</summary>
    private void RequestMetadataUpdate()
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastMetadataRequestMs);
        if (now - last >= _retryBackoffMs && Interlocked.CompareExchange(ref _lastMetadataRequestMs, now, last) == last)
        {
            _cluster.RequestMetadataUpdate();
        }
    }

    private BrokerFetchState BrokerState(int nodeId)
    {
        if (!_brokers.TryGetValue(nodeId, out var broker))
        {
            _brokers[nodeId] = broker = new BrokerFetchState(nodeId);
        }
        return broker;
    }

    private async Task FetchAsync(BrokerFetchState broker, List<(PartitionState State, int Epoch, long Offset)> partitions)
    {
        ResponseFrame? frame = null;
        try
        {
            var connection = await _cluster.GetConnectionAsync(broker.NodeId, _closing.Token).ConfigureAwait(false);
            short version = connection.NegotiateVersion(ApiKey.Fetch, 4, 12);
            var request = new FetchRequest
            {
                ReplicaId = -1,
                MaxWaitMs = _maxWaitMs,
                MinBytes = _minBytes,
                MaxBytes = _maxBytes,
                IsolationLevel = _isolationLevel,
                SessionId = 0,
                SessionEpoch = -1,
            };
            FetchRequest.FetchTopic? topic = null;
            foreach (var (state, _, offset) in partitions)
            {
                if (topic is null || topic.Topic != state.Topic)
                {
                    topic = request.Topics.Find(t => t.Topic == state.Topic);
                    if (topic is null)
                    {
                        topic = new FetchRequest.FetchTopic { Topic = state.Topic };
                        request.Topics.Add(topic);
                    }
                }
                topic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = state.Partition,
                    FetchOffset = offset,
                    LogStartOffset = -1,
                    PartitionMaxBytes = _partitionMaxBytes,
                });
            }
            frame = await connection.SendForFrameAsync(request, version, _closing.Token).ConfigureAwait(false);
            var response = frame.Parse<FetchResponse>();
            HandleResponse(broker, partitions, frame, response);
            frame = null;
        }
        catch (Exception e) when (e is KafkaException or OperationCanceledException or ProtocolException)
        {
            frame?.Dispose();
            lock (Sync)
            {
                broker.InFlight = false;
                broker.RetryAtMs = Environment.TickCount64 + _retryBackoffMs;
                foreach (var (state, _, _) in partitions)
                {
                    state.IsFetching = false;
                }
            }
            if (!_closing.IsCancellationRequested)
            {
                RequestMetadataUpdate();
                if (e is KafkaException { Error: not ErrorCode.NetworkException and not ErrorCode.RequestTimedOut } kafkaError)
                {
                    _onError(kafkaError);
                }
                // Try again once the backoff has passed, without waiting for the application.
                _ = RetryLaterAsync();
            }
        }
        _wakeup();
        SendFetches();
    }

    private async Task RetryLaterAsync()
    {
        try
        {
            await Task.Delay(_retryBackoffMs + 1, _closing.Token).ConfigureAwait(false);
            SendFetches();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void HandleResponse(BrokerFetchState broker, List<(PartitionState State, int Epoch, long Offset)> partitions,
        ResponseFrame frame, FetchResponse response)
    {
        var buffer = new FetchResponseBuffer(frame, OnResponseReleased, broker);
        bool needMetadata = false;
        List<(PartitionState, string)>? outOfRange = null;
        lock (Sync)
        {
            broker.InFlight = false;
            foreach (var (state, _, _) in partitions)
            {
                state.IsFetching = false;
            }
            var topLevel = (ErrorCode)response.ErrorCode;
            if (topLevel != ErrorCode.None)
            {
                broker.RetryAtMs = Environment.TickCount64 + _retryBackoffMs;
                needMetadata = true;
            }
            foreach (var topic in response.Responses)
            {
                foreach (var data in topic.Partitions)
                {
                    var tp = new TopicPartition(topic.Topic, data.PartitionIndex);
                    int sent = partitions.FindIndex(p => p.State.TopicPartition == tp);
                    if (sent < 0)
                    {
                        continue;
                    }
                    var (state, epoch, offset) = partitions[sent];
                    if (state.Epoch != epoch || !_assigned.ContainsKey(tp))
                    {
                        continue;
                    }
                    var error = (ErrorCode)data.ErrorCode;
                    switch (error)
                    {
                        case ErrorCode.None:
                            break;
                        case ErrorCode.OffsetOutOfRange:
                            (outOfRange ??= []).Add((state, $"offset {offset} is out of range"));
                            continue;
                        case ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable
                            or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch or ErrorCode.KafkaStorageError
                            or ErrorCode.ReplicaNotAvailable or ErrorCode.NotEnoughReplicas:
                            needMetadata = true;
                            broker.RetryAtMs = Environment.TickCount64 + _retryBackoffMs;
                            continue;
                        default:
                            _onError(new KafkaException(error, $"fetch of {tp} at offset {offset}: {error}"));
                            broker.RetryAtMs = Environment.TickCount64 + _retryBackoffMs;
                            continue;
                    }
                    state.HighWatermark = data.HighWatermark;
                    state.LastStableOffset = data.LastStableOffset;
                    state.LogStartOffset = data.LogStartOffset;
                    var records = data.Records ?? ReadOnlyMemory<byte>.Empty;
                    long next = CompletedFetch.NextOffsetAfter(records.Span);
                    if (next > state.FetchOffset)
                    {
                        state.FetchOffset = next;
                        buffer.AddReference();
                        _completed.Add(new CompletedFetch(buffer, state, epoch, records, _isolationLevel == 1 ? data.AbortedTransactions : null, _checkCrcs, _autoStore));
                    }
                    else
                    {
                        _eofCandidates.Enqueue(state);
                    }
                }
            }
            broker.Buffered++;
        }
        if (outOfRange is not null)
        {
            foreach (var (state, why) in outOfRange)
            {
                ApplyResetPolicy(state, why);
            }
        }
        if (needMetadata)
        {
            RequestMetadataUpdate();
        }
        buffer.Release();
    }

    internal void OnResponseReleased(FetchResponseBuffer buffer)
    {
        lock (Sync)
        {
            buffer.Broker.Buffered--;
        }
        SendFetches();
    }

    public async ValueTask DisposeAsync()
    {
        lock (Sync)
        {
            _closed = true;
            foreach (var state in _assigned.Values)
            {
                state.Epoch++;
            }
            _assigned.Clear();
            DropStale();
        }
        ReleaseCurrent();
        await _closing.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>Per broker: whether a fetch is in flight and how many responses are still being read.</summary>
    internal sealed class BrokerFetchState(int nodeId)
    {
        public int NodeId { get; } = nodeId;

        public bool InFlight { get; set; }

        public int Buffered { get; set; }

        public long RetryAtMs { get; set; }
    }
}
