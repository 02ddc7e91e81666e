using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Producer;

public sealed partial class KafkaProducer
{
    private const sbyte TransactionKeyType = 1;

    private readonly SemaphoreSlim _transactionLock = new(1, 1);
    private long _producerId = -1;
    private short _producerEpoch = -1;
    private volatile bool _producerIdResetPending;
    private volatile bool _epochBumpNeeded;
    private volatile bool _closingAbort;
    private volatile KafkaException? _fatal;
    private volatile KafkaException? _abortableError;
    private volatile TransactionState _transactionState = TransactionState.Uninitialized;
    private int _coordinatorId = -1;
    private Task? _addingPartitions;

    private enum TransactionState
    {
        Uninitialized,
        Ready,
        InTransaction,
        Committing,
        Aborting,
    }

    /// <summary>
    /// Makes sure an idempotent producer has a producer id before sending, and takes a new one after a sequence gap
    /// once nothing is in flight. Returns false when the sender should back off.
    /// </summary>
    private async Task<bool> PrepareProducerIdAsync()
    {
        if (!_settings.Idempotent || _settings.TransactionalId is not null)
        {
            return true;
        }
        if (_producerId >= 0 && !_producerIdResetPending)
        {
            return true;
        }
        if (Volatile.Read(ref _outstandingRecords) == 0 && _producerId < 0)
        {
            return true;
        }
        if (_producerIdResetPending && AnyInFlight())
        {
            return true;
        }
        try
        {
            var connection = await _cluster.GetAnyConnectionAsync(_cluster.Closing).ConfigureAwait(false);
            short version = connection.NegotiateVersion(ApiKey.InitProducerId, 0, 4);
            var response = await connection.SendAsync<InitProducerIdResponse>(
                new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = int.MaxValue }, version, _cluster.Closing).ConfigureAwait(false);
            if ((ErrorCode)response.ErrorCode != ErrorCode.None)
            {
                return false;
            }
            UseProducerId(response.ProducerId, response.ProducerEpoch);
            _producerIdResetPending = false;
            return true;
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    private bool AnyInFlight()
    {
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                lock (partition.Lock)
                {
                    if (partition.InFlight.Count > 0)
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /// <summary>Takes a new producer id or epoch: every partition's sequences start again from 0.</summary>
    private void UseProducerId(long producerId, short epoch)
    {
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                lock (partition.Lock)
                {
                    partition.NextSequence = 0;
                    partition.Recovering = false;
                    foreach (var batch in partition.Ready)
                    {
                        batch.ClearSequence();
                    }
                }
            }
        }
        _producerId = producerId;
        _producerEpoch = epoch;
    }

    /// <summary>
    /// A batch with a sequence failed for good, so the broker would refuse every later sequence: an idempotent
    /// producer takes a new producer id once its requests drain; a transactional one must abort, which bumps the epoch.
    /// </summary>
    private void SequenceGap()
    {
        if (_settings.TransactionalId is null)
        {
            _producerIdResetPending = true;
        }
        else
        {
            _epochBumpNeeded = true;
        }
    }

    private void SetAbortableError(KafkaException error) => _abortableError ??= error;

    private void SetFatal(KafkaException error)
    {
        _fatal ??= error;
        _transactionState = TransactionState.Uninitialized;
    }

    /// <summary>Registers transactional.id with its coordinator: fences older producers and completes their transaction.</summary>
    public async Task InitTransactionsAsync(CancellationToken cancellationToken = default)
    {
        string transactionalId = _settings.TransactionalId ?? throw new InvalidOperationException("InitTransactions needs \"transactional.id\"");
        ThrowIfUnusable();
        await _transactionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await InitProducerIdAsync(transactionalId, bump: false, cancellationToken).ConfigureAwait(false);
            _transactionState = TransactionState.Ready;
        }
        finally
        {
            _transactionLock.Release();
        }
    }

    private async Task InitProducerIdAsync(string transactionalId, bool bump, CancellationToken cancellationToken)
    {
        var response = await SendToTransactionCoordinatorAsync<InitProducerIdResponse>(ApiKey.InitProducerId, 0, 4, version => new InitProducerIdRequest
        {
            TransactionalId = transactionalId,
            TransactionTimeoutMs = _settings.TransactionTimeoutMs,
            // KIP-360: an existing producer asks for its epoch to be bumped rather than a fresh id.
            ProducerId = bump && version >= 3 ? _producerId : -1,
            ProducerEpoch = bump && version >= 3 ? _producerEpoch : (short)-1,
        }, r => (ErrorCode)r.ErrorCode, cancellationToken).ConfigureAwait(false);
        UseProducerId(response.ProducerId, response.ProducerEpoch);
        _epochBumpNeeded = false;
    }

    public void BeginTransaction()
    {
        ThrowIfUnusable();
        RequireTransactional();
        if (_transactionState != TransactionState.Ready)
        {
            throw new KafkaException(ErrorCode.LocalState, $"BeginTransaction needs a ready producer, not one {Describe(_transactionState)}");
        }
        _transactionState = TransactionState.InTransaction;
    }

    /// <summary>Adds a consumer group's offsets to the open transaction (AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator).</summary>
    public async Task SendOffsetsToTransactionAsync(IEnumerable<TopicPartitionOffset> offsets, ConsumerGroupMetadata groupMetadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupMetadata);
        ThrowIfUnusable();
        string transactionalId = RequireTransactional();
        if (_transactionState != TransactionState.InTransaction)
        {
            throw new KafkaException(ErrorCode.LocalState, "SendOffsetsToTransaction needs an open transaction");
        }
        ThrowIfAbortable();
        await SendToTransactionCoordinatorAsync<AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, 0, 3, _ => new AddOffsetsToTxnRequest
        {
            TransactionalId = transactionalId,
            ProducerId = _producerId,
            ProducerEpoch = _producerEpoch,
            GroupId = groupMetadata.GroupId,
        }, r => (ErrorCode)r.ErrorCode, cancellationToken).ConfigureAwait(false);

        var request = new TxnOffsetCommitRequest
        {
            TransactionalId = transactionalId,
            GroupId = groupMetadata.GroupId,
            ProducerId = _producerId,
            ProducerEpoch = _producerEpoch,
            GenerationId = groupMetadata.GenerationId,
            MemberId = groupMetadata.MemberId,
            GroupInstanceId = groupMetadata.GroupInstanceId,
        };
        foreach (var byTopic in offsets.GroupBy(o => o.Topic))
        {
            var topic = new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic { Name = byTopic.Key };
            foreach (var offset in byTopic)
            {
                topic.Partitions.Add(new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition
                {
                    PartitionIndex = offset.Partition,
                    CommittedOffset = offset.Offset.Value,
                    CommittedLeaderEpoch = -1,
                    CommittedMetadata = "",
                });
            }
            request.Topics.Add(topic);
        }
        int backoff = Math.Max(_settings.RetryBackoffMs, 10);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var error = ErrorCode.None;
            try
            {
                int coordinator = await _cluster.FindCoordinatorAsync(0, groupMetadata.GroupId, cancellationToken).ConfigureAwait(false);
                var connection = await _cluster.GetConnectionAsync(coordinator, cancellationToken).ConfigureAwait(false);
                short version = connection.NegotiateVersion(ApiKey.TxnOffsetCommit, 0, 3);
                var response = await connection.SendAsync<TxnOffsetCommitResponse>(request, version, cancellationToken).ConfigureAwait(false);
                error = response.Topics.SelectMany(t => t.Partitions).Select(p => (ErrorCode)p.ErrorCode).FirstOrDefault(e => e != ErrorCode.None);
            }
            catch (KafkaException e) when (e.Error is ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.CoordinatorNotAvailable
                or ErrorCode.CoordinatorLoadInProgress or ErrorCode.NotCoordinator)
            {
                error = e.Error;
            }
            switch (error)
            {
                case ErrorCode.None:
                    return;
                case ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress
                    or ErrorCode.NotCoordinator or ErrorCode.ConcurrentTransactions or ErrorCode.UnknownTopicOrPartition:
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                    continue;
                case ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionalIdAuthorizationFailed:
                    SetFatal(new KafkaException(error, $"TxnOffsetCommit: {error}"));
                    ThrowIfUnusable();
                    return;
                default:
                    var failure = new KafkaException(error, $"TxnOffsetCommit for group '{groupMetadata.GroupId}': {error}");
                    SetAbortableError(failure);
                    throw failure;
            }
        }
    }

    /// <summary>Sends everything queued, then commits the transaction (EndTxn).</summary>
    public async Task CommitTransactionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        string transactionalId = RequireTransactional();
        if (_transactionState != TransactionState.InTransaction)
        {
            throw new KafkaException(ErrorCode.LocalState, $"CommitTransaction needs an open transaction, not a producer {Describe(_transactionState)}");
        }
        ThrowIfAbortable();
        await _transactionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _transactionState = TransactionState.Committing;
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfUnusable();
            if (_abortableError is not null)
            {
                _transactionState = TransactionState.InTransaction;
                ThrowIfAbortable();
            }
            await EndTransactionAsync(transactionalId, committed: true, cancellationToken).ConfigureAwait(false);
            _transactionState = TransactionState.Ready;
        }
        catch (OperationCanceledException)
        {
            _transactionState = TransactionState.InTransaction;
            throw;
        }
        finally
        {
            _transactionLock.Release();
        }
    }

    /// <summary>Drops what is not sent yet, waits for what is in flight, then aborts the transaction (EndTxn).</summary>
    public async Task AbortTransactionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        string transactionalId = RequireTransactional();
        if (_transactionState is not (TransactionState.InTransaction or TransactionState.Committing))
        {
            throw new KafkaException(ErrorCode.LocalState, $"AbortTransaction needs an open transaction, not a producer {Describe(_transactionState)}");
        }
        await _transactionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _transactionState = TransactionState.Aborting;
            _closingAbort = true;
            FailAllQueued(ErrorCode.LocalPurged, "the transaction was aborted");
            await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
            _closingAbort = false;
            ThrowIfUnusable();
            await EndTransactionAsync(transactionalId, committed: false, cancellationToken).ConfigureAwait(false);
            if (_epochBumpNeeded)
            {
                await InitProducerIdAsync(transactionalId, bump: true, cancellationToken).ConfigureAwait(false);
            }
            _abortableError = null;
            _transactionState = TransactionState.Ready;
        }
        finally
        {
            _closingAbort = false;
            _transactionLock.Release();
        }
    }

    private async Task EndTransactionAsync(string transactionalId, bool committed, CancellationToken cancellationToken)
    {
        await SendToTransactionCoordinatorAsync<EndTxnResponse>(ApiKey.EndTxn, 0, 3, _ => new EndTxnRequest
        {
            TransactionalId = transactionalId,
            ProducerId = _producerId,
            ProducerEpoch = _producerEpoch,
            Committed = committed,
        }, r => (ErrorCode)r.ErrorCode, cancellationToken).ConfigureAwait(false);
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                lock (partition.Lock)
                {
                    partition.InTransaction = false;
                }
            }
        }
    }

    /// <summary>
    /// Adds the partitions the sender found without a place in the transaction (AddPartitionsToTxn), one request at a
    /// time, in the background; the sender sends their batches once they are added.
    /// </summary>
    private void StartAddingPartitions()
    {
        if (_settings.TransactionalId is not { } transactionalId || _addingPartitions is { IsCompleted: false })
        {
            return;
        }
        List<PartitionState> partitions;
        lock (_partitionsToAdd)
        {
            if (_partitionsToAdd.Count == 0)
            {
                return;
            }
            partitions = [.. _partitionsToAdd];
            _partitionsToAdd.Clear();
        }
        _addingPartitions = AddPartitionsAsync(transactionalId, partitions);
    }

    private async Task AddPartitionsAsync(string transactionalId, List<PartitionState> partitions)
    {
        try
        {
            await SendToTransactionCoordinatorAsync<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 0, 3, _ =>
            {
                var request = new AddPartitionsToTxnRequest { TransactionalId = transactionalId, ProducerId = _producerId, ProducerEpoch = _producerEpoch };
                foreach (var byTopic in partitions.GroupBy(p => p.Topic))
                {
                    request.Topics.Add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = byTopic.Key, Partitions = byTopic.Select(p => p.Partition).ToList() });
                }
                return request;
            }, r => r.Results.SelectMany(t => t.Results).Select(p => (ErrorCode)p.ErrorCode).FirstOrDefault(e => e is not (ErrorCode.None or ErrorCode.OperationNotAttempted)),
            _cluster.Closing).ConfigureAwait(false);
            foreach (var partition in partitions)
            {
                lock (partition.Lock)
                {
                    partition.InTransaction = true;
                }
            }
        }
        catch (KafkaException e)
        {
            if (!e.IsFatal)
            {
                SetAbortableError(e);
            }
            foreach (var partition in partitions)
            {
                var failed = new List<ProducerBatch>();
                lock (partition.Lock)
                {
                    failed.AddRange(partition.Ready);
                    partition.Ready.Clear();
                }
                foreach (var batch in failed)
                {
                    FailBatch(batch, e.Error, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Wakeup();
        }
    }

    /// <summary>
    /// Sends a request to the transaction coordinator, finding it first, and retries while the answer says to
    /// (coordinator moved or loading, concurrent transactions). Fencing errors make the producer unusable; any other
    /// error is thrown.
    /// </summary>
    private async Task<TResponse> SendToTransactionCoordinatorAsync<TResponse>(ApiKey api, short minVersion, short maxVersion,
        Func<short, IProtocolMessage> build, Func<TResponse, ErrorCode> errorOf, CancellationToken cancellationToken)
        where TResponse : IProtocolMessage, new()
    {
        string transactionalId = _settings.TransactionalId!;
        int backoff = Math.Max(_settings.RetryBackoffMs, 10);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ErrorCode error;
            TResponse? response = default;
            try
            {
                if (_coordinatorId < 0)
                {
                    _coordinatorId = await _cluster.FindCoordinatorAsync(TransactionKeyType, transactionalId, cancellationToken).ConfigureAwait(false);
                }
                var connection = await _cluster.GetConnectionAsync(_coordinatorId, cancellationToken).ConfigureAwait(false);
                short version = connection.NegotiateVersion(api, minVersion, maxVersion);
                response = await connection.SendAsync<TResponse>(build(version), version, cancellationToken).ConfigureAwait(false);
                error = errorOf(response);
            }
            catch (KafkaException e) when (e.Error is not ErrorCode.UnsupportedVersion)
            {
                error = e.Error;
            }
            switch (error)
            {
                case ErrorCode.None:
                    return response!;
                case ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.NetworkException or ErrorCode.RequestTimedOut
                    or ErrorCode.LeaderNotAvailable:
                    _coordinatorId = -1;
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                    break;
                case ErrorCode.CoordinatorLoadInProgress or ErrorCode.ConcurrentTransactions:
                    // The coordinator is finishing the previous transaction's markers: ask again soon.
                    await Task.Delay(Math.Min(backoff, 20), cancellationToken).ConfigureAwait(false);
                    break;
                case ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionalIdAuthorizationFailed
                    or ErrorCode.InvalidProducerIdMapping or ErrorCode.TransactionCoordinatorFenced:
                    var fatal = new KafkaException(error, $"{api} for transactional.id '{transactionalId}': {error}") { IsFatal = true };
                    SetFatal(fatal);
                    throw fatal;
                default:
                    throw new KafkaException(error, $"{api} for transactional.id '{transactionalId}': {error}");
            }
        }
    }

    private string RequireTransactional() =>
        _settings.TransactionalId ?? throw new InvalidOperationException("transactions need \"transactional.id\"");

    private void ThrowIfAbortable()
    {
        if (_abortableError is { } error)
        {
            throw new KafkaException(error.Error, $"the transaction must be aborted: {error.Message}");
        }
    }

    private static string Describe(TransactionState state) => state switch
    {
        TransactionState.Uninitialized => "without InitTransactions",
        TransactionState.Ready => "outside a transaction",
        TransactionState.InTransaction => "in a transaction",
        TransactionState.Committing => "committing",
        _ => "aborting",
    };
}
