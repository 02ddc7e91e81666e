using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Client.Producer;

public sealed partial class KafkaProducer
{
    // Idempotence keeps at most this many batches of a partition in flight: the broker remembers the last five.
    private const int MaxInFlightPerPartition = 5;

    private readonly Dictionary<int, NodeState> _nodes = [];
    private readonly List<PartitionState> _partitionsToAdd = [];

    /// <summary>The sender: seals and sends batches, until the producer is disposed. Runs on one task.</summary>
    private async Task RunSenderAsync()
    {
        while (!_stopped)
        {
            int waitMs = 100;
            try
            {
                if (await PrepareProducerIdAsync().ConfigureAwait(false))
                {
                    waitMs = SendReady(Environment.TickCount64);
                }
                else
                {
                    waitMs = Math.Max(_settings.RetryBackoffMs, 10);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                waitMs = Math.Max(_settings.RetryBackoffMs, 10);
            }
            if (waitMs > 0)
            {
                await _wakeup.WaitAsync(waitMs).ConfigureAwait(false);
            }
            Volatile.Write(ref _wakeupPending, 0);
        }
    }

    /// <summary>Sends what is ready to every broker that can take more; returns how long to sleep.</summary>
    private int SendReady(long now)
    {
        var metadata = _cluster.Metadata;
        bool flushing = Volatile.Read(ref _flushing) > 0 || _closing;
        long nextWake = 100;
        bool needMetadata = false;
        var requests = new Dictionary<int, List<ProducerBatch>>();
        foreach (var topic in _topics.Values)
        {
            var partitions = topic.Partitions;
            var topicMetadata = metadata.Topic(topic.Name);
            if (topicMetadata is not null && topicMetadata.Partitions.Length > partitions.Length)
            {
                topic.EnsurePartitions(topicMetadata.Partitions.Length);
            }
            foreach (var partition in partitions)
            {
                ProducerBatch? batch;
                int leader;
                lock (partition.Lock)
                {
                    ExpireBatches(partition, now);
                    if (partition.Open is { } open)
                    {
                        long age = now - open.CreatedAtMs;
                        if (flushing || age >= _settings.LingerMs)
                        {
                            partition.Ready.AddLast(open);
                            partition.Open = null;
                        }
                        else
                        {
                            nextWake = Math.Min(nextWake, _settings.LingerMs - age);
                        }
                    }
                    if (partition.Ready.First is not { } first)
                    {
                        continue;
                    }
                    batch = first.Value;
                    if (batch.RetryNotBeforeMs > now)
                    {
                        nextWake = Math.Min(nextWake, batch.RetryNotBeforeMs - now);
                        continue;
                    }
                    leader = metadata.LeaderFor(partition.Topic, partition.Partition);
                    if (leader < 0)
                    {
                        needMetadata = true;
                        continue;
                    }
                    if (_settings.Idempotent && (partition.InFlight.Count >= MaxInFlightPerPartition || (partition.Recovering && partition.InFlight.Count > 0) || _producerIdResetPending))
                    {
                        continue;
                    }
                    if (_settings.TransactionalId is not null && !partition.InTransaction)
                    {
                        lock (_partitionsToAdd)
                        {
                            if (!_partitionsToAdd.Contains(partition))
                            {
                                _partitionsToAdd.Add(partition);
                            }
                        }
                        continue;
                    }
                    var node = Node(leader);
                    if (node.InFlight >= _settings.MaxInFlight || !node.TryGetConnection(_cluster, this, out _))
                    {
                        continue;
                    }
                    var forNode = requests.TryGetValue(leader, out var list) ? list : requests[leader] = [];
                    int sequence = _settings.Idempotent ? (batch.BaseSequence >= 0 ? batch.BaseSequence : partition.NextSequence) : RecordBatchHeader.NoSequence;
                    if (!batch.IsSealed)
                    {
                        batch.Seal(_settings.Compression, _settings.TransactionalId is not null, _producerId, _producerEpoch, sequence);
                    }
                    else if (_settings.Idempotent && batch.BaseSequence < 0)
                    {
                        batch.Stamp(_producerId, _producerEpoch, sequence);
                    }
                    int requestBytes = 0;
                    foreach (var queued in forNode)
                    {
                        requestBytes += queued.PayloadLength;
                    }
                    if (forNode.Count > 0 && requestBytes + batch.PayloadLength > _settings.MaxRequestSize)
                    {
                        continue;
                    }
                    partition.Ready.RemoveFirst();
                    if (_settings.Idempotent && sequence == partition.NextSequence)
                    {
                        partition.NextSequence = (int)((partition.NextSequence + (long)batch.RecordCount) % ((long)int.MaxValue + 1));
                    }
                    partition.InFlight.Add(batch);
                    forNode.Add(batch);
                }
            }
        }
        if (needMetadata)
        {
            _cluster.RequestMetadataUpdate();
        }
        StartAddingPartitions();
        bool sent = false;
        foreach (var (nodeId, batches) in requests)
        {
            if (batches.Count > 0)
            {
                Send(Node(nodeId), batches);
                sent = true;
            }
        }
        // After sending, look again at once: more batches may be ready for brokers with room.
        return sent ? 0 : (int)Math.Max(1, nextWake);
    }

    private NodeState Node(int nodeId)
    {
        lock (_nodes)
        {
            if (!_nodes.TryGetValue(nodeId, out var node))
            {
                _nodes[nodeId] = node = new NodeState(nodeId);
            }
            return node;
        }
    }

    private void Send(NodeState node, List<ProducerBatch> batches)
    {
        node.TryGetConnection(_cluster, this, out var connection);
        short version = node.ProduceVersion;
        var request = new ProduceRequest
        {
            Acks = _settings.Acks,
            TimeoutMs = _settings.RequestTimeoutMs,
            TransactionalId = _settings.TransactionalId,
        };
        foreach (var batch in batches)
        {
            batch.Attempts++;
            ProduceRequest.TopicProduceData? topicData = null;
            foreach (var t in request.TopicData)
            {
                if (t.Name == batch.Partition.Topic)
                {
                    topicData = t;
                    break;
                }
            }
            if (topicData is null)
            {
                topicData = new ProduceRequest.TopicProduceData { Name = batch.Partition.Topic };
                request.TopicData.Add(topicData);
            }
            topicData.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = batch.Partition.Partition, Records = batch.Payload });
        }
        Interlocked.Increment(ref node.InFlight);
        var inFlight = new InFlightRequest(this, node, batches);
        if (_settings.Acks == 0)
        {
            connection!.SendWithoutResponseAsync(request, version).ContinueWith(
                static (t, s) => ((InFlightRequest)s!).OnWritten(t), inFlight, TaskScheduler.Default);
        }
        else
        {
            connection!.SendForFrameAsync(request, version).ContinueWith(
                static (t, s) => ((InFlightRequest)s!).OnResponse(t), inFlight, TaskScheduler.Default);
        }
    }

    /// <summary>Fails batches that waited longer than delivery.timeout.ms without being sent. Called under the partition's lock.</summary>
    private void ExpireBatches(PartitionState partition, long now)
    {
        while (partition.Ready.First is { } first && now - first.Value.CreatedAtMs >= _settings.DeliveryTimeoutMs)
        {
            partition.Ready.RemoveFirst();
            ExpireLater(first.Value);
        }
        if (partition.Open is { } open && now - open.CreatedAtMs >= _settings.DeliveryTimeoutMs)
        {
            partition.Open = null;
            ExpireLater(open);
        }
    }

    private void ExpireLater(ProducerBatch batch)
    {
        if (batch.BaseSequence >= 0)
        {
            SequenceGap();
        }
        // Handlers run outside the partition's lock.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Producer.FailBatch(s.Batch, ErrorCode.LocalMessageTimedOut,
            "the record was not acknowledged within delivery.timeout.ms"), (Producer: this, Batch: batch), preferLocal: false);
    }

    private void CompleteBatch(ProducerBatch batch, long baseOffset, long logAppendTimeMs)
    {
        var partition = batch.Partition;
        lock (partition.Lock)
        {
            partition.InFlight.Remove(batch);
            if (partition.Recovering && partition.InFlight.Count == 0 && partition.Ready.First?.Value.BaseSequence is not >= 0)
            {
                partition.Recovering = false;
            }
        }
        batch.Complete(baseOffset, logAppendTimeMs, ErrorCode.None, null);
        ReleaseBatch(batch);
    }

    private void FailBatch(ProducerBatch batch, ErrorCode error, string reason)
    {
        if (_settings.TransactionalId is not null)
        {
            SetAbortableError(new KafkaException(error, $"a batch for {batch.Partition.Topic}-{batch.Partition.Partition} failed: {reason}"));
        }
        batch.Complete(-1, -1, error, reason);
        ReleaseBatch(batch);
    }

    private void ReleaseBatch(ProducerBatch batch)
    {
        long reserved = batch.ReservedBytes;
        int records = batch.RecordCount;
        batch.Release();
        ReleaseMemory(reserved);
        RecordsDone(records);
        Wakeup();
    }

    /// <summary>Handles a batch the broker refused or that never got an answer: retry it or fail it.</summary>
    private void OnBatchError(ProducerBatch batch, ErrorCode error, string reason)
    {
        var partition = batch.Partition;
        long now = Environment.TickCount64;
        bool retry;
        lock (partition.Lock)
        {
            partition.InFlight.Remove(batch);
            // Behind a batch being retried, the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER: this one is retried too.
            bool outOfOrderBehindRetry = error == ErrorCode.OutOfOrderSequenceNumber && partition.Recovering;
            retry = (IsRetriable(error) || outOfOrderBehindRetry)
                && batch.Attempts <= _settings.Retries
                && now - batch.CreatedAtMs < _settings.DeliveryTimeoutMs
                && !_closingAbort;
            if (retry)
            {
                batch.RetryNotBeforeMs = now + _settings.RetryBackoffMs;
                partition.Requeue(batch);
                if (_settings.Idempotent)
                {
                    partition.Recovering = true;
                }
            }
        }
        if (error is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.UnknownTopicOrPartition
            or ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.LocalTransport or ErrorCode.KafkaStorageError)
        {
            _cluster.RequestMetadataUpdate();
        }
        if (retry)
        {
            Wakeup();
            return;
        }
        if (error is ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionalIdAuthorizationFailed
            && _settings.TransactionalId is not null)
        {
            SetFatal(new KafkaException(error, $"the producer was fenced: {reason}"));
        }
        else if (_settings.Idempotent && batch.BaseSequence >= 0)
        {
            SequenceGap();
        }
        FailBatch(batch, error, reason);
    }

    private static bool IsRetriable(ErrorCode error) => error is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable
        or ErrorCode.UnknownTopicOrPartition or ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.NotEnoughReplicas
        or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.KafkaStorageError or ErrorCode.CorruptMessage
        or ErrorCode.LocalTransport or ErrorCode.ConcurrentTransactions or ErrorCode.UnknownServerError
        or ErrorCode.CoordinatorLoadInProgress or ErrorCode.NotController or ErrorCode.ThrottlingQuotaExceeded;

    /// <summary>Fails every batch not yet sent (on close).</summary>
    private void FailAllQueued(ErrorCode error, string reason)
    {
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                var failed = new List<ProducerBatch>();
                lock (partition.Lock)
                {
                    failed.AddRange(partition.Ready);
                    partition.Ready.Clear();
                    if (partition.Open is { } open)
                    {
                        failed.Add(open);
                        partition.Open = null;
                    }
                }
                foreach (var batch in failed)
                {
                    FailBatch(batch, error, reason);
                }
            }
        }
    }

    /// <summary>One produce request on its way; completes its batches when the answer comes.</summary>
    private sealed class InFlightRequest(KafkaProducer producer, NodeState node, List<ProducerBatch> batches)
    {
        public void OnWritten(Task sent)
        {
            Interlocked.Decrement(ref node.InFlight);
            foreach (var batch in batches)
            {
                if (sent.IsCompletedSuccessfully)
                {
                    producer.CompleteBatch(batch, -1, -1);
                }
                else
                {
                    producer.OnBatchError(batch, ErrorOf(sent.Exception), MessageOf(sent.Exception));
                }
            }
        }

        public void OnResponse(Task<ResponseFrame> answered)
        {
            Interlocked.Decrement(ref node.InFlight);
            if (!answered.IsCompletedSuccessfully)
            {
                foreach (var batch in batches)
                {
                    producer.OnBatchError(batch, ErrorOf(answered.Exception), MessageOf(answered.Exception));
                }
                return;
            }
            ProduceResponse response;
            using (var frame = answered.Result)
            {
                try
                {
                    response = frame.Parse<ProduceResponse>();
                }
                catch (ProtocolException e)
                {
                    foreach (var batch in batches)
                    {
                        producer.OnBatchError(batch, ErrorCode.CorruptMessage, "unreadable produce response: " + e.Message);
                    }
                    return;
                }
            }
            foreach (var batch in batches)
            {
                var answer = Find(response, batch.Partition);
                if (answer is null)
                {
                    producer.OnBatchError(batch, ErrorCode.UnknownServerError, "the produce response did not mention the partition");
                    continue;
                }
                var error = (ErrorCode)answer.ErrorCode;
                if (error is ErrorCode.None or ErrorCode.DuplicateSequenceNumber)
                {
                    producer.CompleteBatch(batch, answer.BaseOffset, answer.LogAppendTimeMs);
                }
                else
                {
                    producer.OnBatchError(batch, error, answer.ErrorMessage ?? error.ToString());
                }
            }
        }

        private static ProduceResponse.PartitionProduceResponse? Find(ProduceResponse response, PartitionState partition)
        {
            foreach (var topic in response.Responses)
            {
                if (topic.Name != partition.Topic)
                {
                    continue;
                }
                foreach (var answer in topic.PartitionResponses)
                {
                    if (answer.Index == partition.Partition)
                    {
                        return answer;
                    }
                }
            }
            return null;
        }

        private static ErrorCode ErrorOf(AggregateException? e) => e?.InnerException is KafkaException k ? k.Error : ErrorCode.LocalTransport;

        private static string MessageOf(AggregateException? e) => e?.InnerException?.Message ?? "the request failed";
    }

    /// <summary>What the sender knows of one broker: its connection and the produce requests in flight to it.</summary>
    private sealed class NodeState(int nodeId)
    {
        private KafkaConnection? _connection;
        private int _connecting;

        public int InFlight;

        public short ProduceVersion { get; private set; }

        /// <summary>The live connection, or false while one is being opened (the sender is woken when it is).</summary>
        public bool TryGetConnection(KafkaCluster cluster, KafkaProducer producer, out KafkaConnection? connection)
        {
            connection = _connection;
            if (connection is { IsAlive: true })
            {
                return true;
            }
            var pending = cluster.GetConnectionAsync(nodeId, cluster.Closing);
            if (pending.IsCompletedSuccessfully)
            {
                return Use(pending.Result, out connection);
            }
            if (Interlocked.Exchange(ref _connecting, 1) == 0)
            {
                pending.AsTask().ContinueWith(t =>
                {
                    Volatile.Write(ref _connecting, 0);
                    producer.Wakeup();
                }, TaskScheduler.Default);
            }
            connection = null;
            return false;
        }

        private bool Use(KafkaConnection connection, out KafkaConnection? used)
        {
            used = null;
            if (!connection.Supports(ApiKey.Produce, 3, 9))
            {
                return false;
            }
            ProduceVersion = connection.NegotiateVersion(ApiKey.Produce, 3, 9);
            _connection = connection;
            used = connection;
            return true;
        }
    }
}
