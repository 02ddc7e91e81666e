using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Broker.Purgatory;
using Samsa.Protocol;

namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// Kafka's transaction coordinator for a single broker: producer ids (InitProducerId), the transaction state machine
/// (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn) kept in __transaction_state through <see cref="TransactionStateManager"/>,
/// and the end-of-transaction markers written by <see cref="TxnMarkerWriter"/>.
/// <para>
/// Ending a transaction is two-phase: PrepareCommit/PrepareAbort is written and fsynced first, then the markers go to
/// every partition of the transaction, then CompleteCommit/CompleteAbort is written. A transaction found in a Prepare
/// state at start-up (<see cref="Startup"/>) is completed before the broker serves requests, so a crash between the
/// prepare record and the markers loses nothing. Markers that fail are retried in the background; the transactional id
/// stays in its Prepare state (answering CONCURRENT_TRANSACTIONS) until they are written.
/// </para>
/// <para>
/// Two periodic checks run on the broker's timer: every transaction.abort.timed.out.transaction.cleanup.interval.ms,
/// Ongoing transactions older than their timeout are aborted with the epoch bumped (fencing the producer); every
/// transaction.remove.expired.transaction.cleanup.interval.ms, idle ids unused for transactional.id.expiration.ms are
/// removed (tombstoned).
/// </para>
/// <para>
/// Test-only fault hook: when the environment variable <c>SAMSA_FAULT_KILL_AFTER_TXN_PREPARE=1</c> is set, the broker
/// kills itself (SIGKILL) right after a PrepareCommit/PrepareAbort record is on disk and before any marker is written.
/// The crash tests use it; it must never be set in production.
/// </para>
/// Thread-safe: every operation on a transactional id holds that id's <see cref="TransactionMetadata.Gate"/> (awaited,
/// never while holding another gate), so operations on one id are serialized and those on different ids run in parallel.
/// </summary>
internal sealed partial class TransactionCoordinator
{
    public const string FaultKillAfterPrepareVariable = "SAMSA_FAULT_KILL_AFTER_TXN_PREPARE";
    private const long MarkerRetryBackoffMs = 500;

    private readonly BrokerConfig _config;
    private readonly TransactionStateManager _state;
    private readonly ProducerIdManager _producerIds;
    private readonly TxnMarkerWriter _markers;
    private readonly SystemTimer _timer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _killAfterPrepare;
    private readonly Lock _tasksLock = new();
    private readonly HashSet<Task> _running = [];
    private readonly List<TimerTask> _scheduled = [];
    private volatile bool _stopped;

    public TransactionCoordinator(BrokerConfig config, TransactionStateManager state, ProducerIdManager producerIds, TxnMarkerWriter markers,
        SystemTimer timer, TimeProvider time, ILogger logger)
    {
        _config = config;
        _state = state;
        _producerIds = producerIds;
        _markers = markers;
        _timer = timer;
        _time = time;
        _logger = logger;
        _killAfterPrepare = Environment.GetEnvironmentVariable(FaultKillAfterPrepareVariable) == "1";
    }

    public TransactionStateManager StateManager => _state;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Loads __transaction_state, completes every transaction left in PrepareCommit/PrepareAbort (markers, then Complete*),
    /// and starts the periodic timeout and expiry checks. Blocks until the prepared transactions are complete or their
    /// markers are queued for retry.
    /// </summary>
    public void Startup()
    {
        _state.Load();
        var prepared = _state.Transactions.Where(m => m.Current?.State.IsPrepare() == true).ToList();
        foreach (var metadata in prepared)
        {
            CompletePreparedAtStartupAsync(metadata).GetAwaiter().GetResult();
        }
        ScheduleAbortCheck();
        ScheduleExpiryCheck();
    }

    private async Task CompletePreparedAtStartupAsync(TransactionMetadata metadata)
    {
        await metadata.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var current = metadata.Current!;
            LogCompletingPrepared(_logger, metadata.TransactionalId, current.State.Name(), current.Partitions.Count);
            await CompleteAsync(metadata).ConfigureAwait(false);
        }
        finally
        {
            metadata.Gate.Release();
        }
    }

    // ---------------------------------------------------------------- InitProducerId

    /// <summary>
    /// InitProducerId: a fresh producer id (epoch 0) for an idempotent producer; for a transactional one, the id's producer
    /// id with its epoch bumped (a new producer id when the epoch is exhausted), fencing the previous session. An open
    /// transaction is aborted first and CONCURRENT_TRANSACTIONS answered, so the client retries once the abort is done.
    /// <paramref name="expectedProducerId"/>/<paramref name="expectedEpoch"/> (v3+, -1 when absent) name the session asking
    /// for the bump (KIP-360); another session's values are fenced (PRODUCER_FENCED).
    /// </summary>
    public async Task<(ErrorCode Error, long ProducerId, short ProducerEpoch)> InitProducerIdAsync(string? transactionalId, int transactionTimeoutMs,
        long expectedProducerId = -1, short expectedEpoch = -1)
    {
        if (transactionalId is null)
        {
            return TryGenerateProducerId(out long fresh) ? (ErrorCode.None, fresh, (short)0) : (ErrorCode.UnknownServerError, -1, -1);
        }
        if (transactionalId.Length == 0)
        {
            return (ErrorCode.InvalidRequest, -1, -1);
        }
        if (transactionTimeoutMs <= 0 || transactionTimeoutMs > _config.TransactionMaxTimeoutMs)
        {
            return (ErrorCode.InvalidTransactionTimeout, -1, -1);
        }
        var metadata = await LockAsync(transactionalId, create: true).ConfigureAwait(false);
        try
        {
            var current = metadata!.Current;
            long now = NowMs;
            if (current is null)
            {
                if (!TryGenerateProducerId(out long producerId))
                {
                    return (ErrorCode.UnknownServerError, -1, -1);
                }
                var created = new TransactionLogValue(producerId, 0, transactionTimeoutMs, TransactionState.Empty, [], now, -1);
                var error = await _state.WriteAsync(metadata, created).ConfigureAwait(false);
                return error == ErrorCode.None ? (ErrorCode.None, producerId, (short)0) : (error, -1, (short)-1);
            }
            if (expectedProducerId != -1)
            {
                bool sameSession = expectedProducerId == current.ProducerId && expectedEpoch == current.ProducerEpoch;
                // A retry of a bump that succeeded but whose answer was lost gets the bumped epoch again.
                bool retriedBump = expectedProducerId == metadata.LastProducerId && expectedEpoch == metadata.LastProducerEpoch;
                if (!sameSession && !retriedBump)
                {
                    return (ErrorCode.ProducerFenced, -1, -1);
                }
                if (!sameSession && current.State.IsIdle())
                {
                    return (ErrorCode.None, current.ProducerId, current.ProducerEpoch);
                }
            }
            switch (current.State)
            {
                case TransactionState.Ongoing:
                    await AbortWithEpochBumpAsync(metadata, "a new producer session started").ConfigureAwait(false);
                    return (ErrorCode.ConcurrentTransactions, -1, -1);
                case TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort:
                    long nextProducerId = current.ProducerId;
                    short nextEpoch = (short)(current.ProducerEpoch + 1);
                    if (current.ProducerEpoch >= short.MaxValue - 1)
                    {
                        if (!TryGenerateProducerId(out nextProducerId))
                        {
                            return (ErrorCode.UnknownServerError, -1, -1);
                        }
                        nextEpoch = 0;
                    }
                    var bumped = current with
                    {
                        ProducerId = nextProducerId,
                        ProducerEpoch = nextEpoch,
                        TimeoutMs = transactionTimeoutMs,
                        State = TransactionState.Empty,
                        Partitions = [],
                        LastUpdateTimestampMs = now,
                        StartTimestampMs = -1,
                    };
                    var error = await _state.WriteAsync(metadata, bumped).ConfigureAwait(false);
                    if (error != ErrorCode.None)
                    {
                        return (error, -1, -1);
                    }
                    // Only a bump the session asked for (KIP-360) may be retried by it; a new session fences the old one for good.
                    metadata.LastProducerId = expectedProducerId != -1 ? current.ProducerId : -1;
                    metadata.LastProducerEpoch = expectedProducerId != -1 ? current.ProducerEpoch : (short)-1;
                    return (ErrorCode.None, nextProducerId, nextEpoch);
                default:
                    // Prepare*: the markers of the last transaction are still being written.
                    return (ErrorCode.ConcurrentTransactions, -1, -1);
            }
        }
        finally
        {
            metadata!.Gate.Release();
        }
    }

    private bool TryGenerateProducerId(out long producerId)
    {
        try
        {
            producerId = _producerIds.GenerateProducerId();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogProducerIdBlockFailed(_logger, e.Message);
            producerId = -1;
            return false;
        }
    }

    // ---------------------------------------------------------------- AddPartitionsToTxn / AddOffsetsToTxn

    /// <summary>
    /// Adds partitions to the producer's transaction, starting it (Ongoing, start time now) when none is open. The new
    /// state is on disk before this returns NONE. The caller has checked that the partitions exist.
    /// </summary>
    public async Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions)
    {
        var (metadata, error) = await LockForProducerAsync(transactionalId, producerId, producerEpoch).ConfigureAwait(false);
        if (metadata is null)
        {
            return error;
        }
        try
        {
            var current = metadata.Current!;
            switch (current.State)
            {
                case TransactionState.Ongoing when partitions.All(current.Partitions.Contains):
                    return ErrorCode.None;
                case TransactionState.Ongoing or TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort:
                    long now = NowMs;
                    var ongoing = current with
                    {
                        State = TransactionState.Ongoing,
                        Partitions = TransactionLogValue.Sorted(current.State == TransactionState.Ongoing ? current.Partitions.Concat(partitions) : partitions),
                        LastUpdateTimestampMs = now,
                        StartTimestampMs = current.State == TransactionState.Ongoing ? current.StartTimestampMs : now,
                    };
                    return await _state.WriteAsync(metadata, ongoing).ConfigureAwait(false);
                default:
                    return ErrorCode.ConcurrentTransactions;
            }
        }
        finally
        {
            metadata.Gate.Release();
        }
    }

    // ---------------------------------------------------------------- EndTxn

    /// <summary>
    /// Commits or aborts the producer's transaction: Prepare* on disk, the markers in every partition, Complete* on disk.
    /// A retry of an end that already completed answers NONE; the opposite decision INVALID_TXN_STATE. A transaction with
    /// no partitions completes without markers.
    /// </summary>
    public async Task<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit)
    {
        var (metadata, error) = await LockForProducerAsync(transactionalId, producerId, producerEpoch).ConfigureAwait(false);
        if (metadata is null)
        {
            return error;
        }
        try
        {
            var current = metadata.Current!;
            switch (current.State)
            {
                case TransactionState.Ongoing:
                    var prepared = current with
                    {
                        State = commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort,
                        LastUpdateTimestampMs = NowMs,
                    };
                    error = await WritePrepareAsync(metadata, prepared).ConfigureAwait(false);
                    if (error != ErrorCode.None)
                    {
                        return error;
                    }
                    // The decision is durable: the transaction completes even if the markers must be retried.
                    await CompleteAsync(metadata).ConfigureAwait(false);
                    return ErrorCode.None;
                case TransactionState.Empty:
                    var completed = current with
                    {
                        State = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
                        LastUpdateTimestampMs = NowMs,
                    };
                    return await _state.WriteAsync(metadata, completed).ConfigureAwait(false);
                case TransactionState.CompleteCommit:
                    return commit ? ErrorCode.None : ErrorCode.InvalidTxnState;
                case TransactionState.CompleteAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.None;
                case TransactionState.PrepareCommit:
                    return commit ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState;
                case TransactionState.PrepareAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions;
                default:
                    return ErrorCode.ConcurrentTransactions;
            }
        }
        finally
        {
            metadata.Gate.Release();
        }
    }

    /// <summary>
    /// Locks an existing transactional id for a request of its producer, once the producer id and epoch check out
    /// (<see cref="CheckProducer"/>); on an error nothing stays locked and the metadata is null.
    /// </summary>
    private async Task<(TransactionMetadata? Metadata, ErrorCode Error)> LockForProducerAsync(string transactionalId, long producerId, short producerEpoch)
    {
        if (transactionalId.Length == 0)
        {
            return (null, ErrorCode.InvalidRequest);
        }
        var metadata = await LockAsync(transactionalId, create: false).ConfigureAwait(false);
        if (metadata is null)
        {
            return (null, ErrorCode.InvalidProducerIdMapping);
        }
        var error = CheckProducer(metadata.Current, producerId, producerEpoch);
        if (error != ErrorCode.None)
        {
            metadata.Gate.Release();
            return (null, error);
        }
        return (metadata, ErrorCode.None);
    }

    /// <summary>The producer id and epoch must be the id's current ones: another id is INVALID_PRODUCER_ID_MAPPING, another epoch PRODUCER_FENCED.</summary>
    private static ErrorCode CheckProducer(TransactionLogValue? current, long producerId, short producerEpoch)
    {
        if (current is null || current.ProducerId != producerId)
        {
            return ErrorCode.InvalidProducerIdMapping;
        }
        return current.ProducerEpoch != producerEpoch ? ErrorCode.ProducerFenced : ErrorCode.None;
    }

    /// <summary>Writes a Prepare* value; the fault hook fires once it is on disk.</summary>
    private async ValueTask<ErrorCode> WritePrepareAsync(TransactionMetadata metadata, TransactionLogValue prepared)
    {
        var error = await _state.WriteAsync(metadata, prepared).ConfigureAwait(false);
        if (error == ErrorCode.None && _killAfterPrepare)
        {
            LogFaultKill(_logger, metadata.TransactionalId, prepared.State.Name());
            Process.GetCurrentProcess().Kill();
        }
        return error;
    }

    /// <summary>
    /// Aborts the open transaction with the epoch bumped, so the producer that owned it is fenced and the markers carry
    /// the new epoch. Caller holds the gate and the state is Ongoing.
    /// </summary>
    private async Task AbortWithEpochBumpAsync(TransactionMetadata metadata, string reason)
    {
        var current = metadata.Current!;
        short epoch = current.ProducerEpoch < short.MaxValue ? (short)(current.ProducerEpoch + 1) : current.ProducerEpoch;
        var prepared = current with { ProducerEpoch = epoch, State = TransactionState.PrepareAbort, LastUpdateTimestampMs = NowMs };
        if (await WritePrepareAsync(metadata, prepared).ConfigureAwait(false) != ErrorCode.None)
        {
            return;
        }
        // The fenced session must not get the new epoch by retrying: no KIP-360 retry after a fence.
        metadata.LastProducerId = -1;
        metadata.LastProducerEpoch = -1;
        LogAbortingWithBump(_logger, metadata.TransactionalId, current.ProducerId, epoch, reason);
        await CompleteAsync(metadata).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the markers of a prepared transaction, then its Complete* state with the partitions cleared. Failed markers
    /// (or a failed Complete* write) leave the id prepared and schedule a retry. Caller holds the gate.
    /// </summary>
    private async Task CompleteAsync(TransactionMetadata metadata)
    {
        var current = metadata.Current!;
        bool commit = current.State == TransactionState.PrepareCommit;
        var partitions = metadata.PendingMarkers ?? current.Partitions;
        if (partitions.Count > 0)
        {
            var failed = await _markers.WriteMarkersAsync(partitions, current.ProducerId, current.ProducerEpoch,
                _state.CoordinatorEpochFor(metadata.TransactionalId), commit).ConfigureAwait(false);
            // A partition whose topic was deleted needs no marker any more.
            var retry = failed.Where(f => f.Value != ErrorCode.UnknownTopicOrPartition).Select(f => f.Key).ToList();
            if (retry.Count > 0)
            {
                LogMarkersFailed(_logger, metadata.TransactionalId, retry.Count, string.Join(", ", failed.Select(f => $"{f.Key}: {f.Value}")));
                metadata.PendingMarkers = retry;
                ScheduleMarkerRetry(metadata);
                return;
            }
        }
        metadata.PendingMarkers = [];
        var completed = current with
        {
            State = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
            Partitions = [],
            LastUpdateTimestampMs = NowMs,
        };
        if (await _state.WriteAsync(metadata, completed).ConfigureAwait(false) != ErrorCode.None)
        {
            ScheduleMarkerRetry(metadata);
            return;
        }
        metadata.PendingMarkers = null;
        LogCompleted(_logger, metadata.TransactionalId, current.ProducerId, current.ProducerEpoch, completed.State.Name(), partitions.Count);
    }

    private void ScheduleMarkerRetry(TransactionMetadata metadata)
    {
        if (metadata.MarkerRetryScheduled || _stopped)
        {
            return;
        }
        metadata.MarkerRetryScheduled = true;
        Schedule(MarkerRetryBackoffMs, async () =>
        {
            await metadata.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                metadata.MarkerRetryScheduled = false;
                if (!metadata.Removed && metadata.Current?.State.IsPrepare() == true && !_stopped)
                {
                    await CompleteAsync(metadata).ConfigureAwait(false);
                }
            }
            finally
            {
                metadata.Gate.Release();
            }
        }, repeat: false);
    }

    // ---------------------------------------------------------------- Timeouts and expiry

    /// <summary>Aborts, with an epoch bump, every Ongoing transaction open for longer than its timeout. Returns how many.</summary>
    public async Task<int> AbortTimedOutTransactionsAsync()
    {
        int aborted = 0;
        foreach (var metadata in _state.Transactions.ToList())
        {
            if (!IsTimedOut(metadata.Current, NowMs))
            {
                continue;
            }
            await metadata.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!metadata.Removed && IsTimedOut(metadata.Current, NowMs))
                {
                    await AbortWithEpochBumpAsync(metadata, $"the transaction exceeded its timeout of {metadata.Current!.TimeoutMs} ms").ConfigureAwait(false);
                    aborted++;
                }
            }
            finally
            {
                metadata.Gate.Release();
            }
        }
        return aborted;
    }

    private static bool IsTimedOut(TransactionLogValue? value, long now) =>
        value is { State: TransactionState.Ongoing } && value.StartTimestampMs >= 0 && now - value.StartTimestampMs > value.TimeoutMs;

    /// <summary>Removes (tombstones) transactional ids with no open transaction, unused for transactional.id.expiration.ms.</summary>
    public async Task<int> RemoveExpiredTransactionalIdsAsync()
    {
        int removed = 0;
        foreach (var metadata in _state.Transactions.ToList())
        {
            if (metadata.Current is null && metadata.Gate.Wait(0))
            {
                // An id whose first InitProducerId failed to write: nothing to keep.
                if (metadata.Current is null && !metadata.Removed)
                {
                    _state.Forget(metadata);
                }
                metadata.Gate.Release();
                continue;
            }
            if (!IsExpired(metadata.Current, NowMs))
            {
                continue;
            }
            await metadata.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!metadata.Removed && IsExpired(metadata.Current, NowMs) && await _state.RemoveAsync(metadata).ConfigureAwait(false) == ErrorCode.None)
                {
                    LogExpired(_logger, metadata.TransactionalId);
                    removed++;
                }
            }
            finally
            {
                metadata.Gate.Release();
            }
        }
        return removed;
    }

    private bool IsExpired(TransactionLogValue? value, long now) =>
        value is not null && value.State.IsIdle() && now - value.LastUpdateTimestampMs >= _config.TransactionalIdExpirationMs;

    private void ScheduleAbortCheck() =>
        Schedule(_config.TransactionAbortTimedOutTransactionCleanupIntervalMs, () => AbortTimedOutTransactionsAsync(), repeat: true);

    private void ScheduleExpiryCheck() =>
        Schedule(_config.TransactionRemoveExpiredTransactionCleanupIntervalMs, () => RemoveExpiredTransactionalIdsAsync(), repeat: true);

    /// <summary>Runs <paramref name="work"/> on the timer after <paramref name="delayMs"/> (again and again when <paramref name="repeat"/>), until stopped.</summary>
    private void Schedule(long delayMs, Func<Task> work, bool repeat)
    {
        TimerTask? task = null;
        task = new ActionTimerTask(delayMs, () =>
        {
            lock (_tasksLock)
            {
                _scheduled.Remove(task!);
                if (_stopped)
                {
                    return;
                }
                var running = Task.Run(() => RunAsync(work, delayMs, repeat));
                _running.Add(running);
                _ = running.ContinueWith(t =>
                {
                    lock (_tasksLock)
                    {
                        _running.Remove(t);
                    }
                }, TaskScheduler.Default);
            }
        });
        lock (_tasksLock)
        {
            if (_stopped)
            {
                return;
            }
            _scheduled.Add(task);
        }
        _timer.Add(task);
    }

    private async Task RunAsync(Func<Task> work, long delayMs, bool repeat)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogBackgroundFailed(_logger, e);
        }
        if (repeat)
        {
            Schedule(delayMs, work, repeat: true);
        }
    }

    /// <summary>Stops the periodic checks and retries and waits for those running to finish (before the logs close).</summary>
    public async Task StopAsync()
    {
        Task[] running;
        lock (_tasksLock)
        {
            _stopped = true;
            foreach (var task in _scheduled)
            {
                task.Cancel();
            }
            _scheduled.Clear();
            running = [.. _running];
        }
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // ---------------------------------------------------------------- Describe / List

    /// <summary>The current state of an id; null when the id is unknown (TRANSACTIONAL_ID_NOT_FOUND).</summary>
    public TransactionLogValue? Describe(string transactionalId) =>
        _state.TryGet(transactionalId, out var metadata) ? metadata.Current : null;

    /// <summary>The ids whose state is in <paramref name="states"/> and producer id in <paramref name="producerIds"/> (empty: any).</summary>
    public List<(string TransactionalId, TransactionLogValue Value)> List(IReadOnlyCollection<TransactionState> states, IReadOnlyCollection<long> producerIds)
    {
        var result = new List<(string, TransactionLogValue)>();
        foreach (var metadata in _state.Transactions)
        {
            var value = metadata.Current;
            if (value is null || metadata.Removed
                || (states.Count > 0 && !states.Contains(value.State))
                || (producerIds.Count > 0 && !producerIds.Contains(value.ProducerId)))
            {
                continue;
            }
            result.Add((metadata.TransactionalId, value));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }

    // ---------------------------------------------------------------- Helpers

    /// <summary>The id's metadata with its gate held; null when the id is unknown and <paramref name="create"/> is false.</summary>
    private async Task<TransactionMetadata?> LockAsync(string transactionalId, bool create)
    {
        while (true)
        {
            TransactionMetadata? metadata;
            if (create)
            {
                _state.EnsureTransactionStateTopic();
                metadata = _state.GetOrCreate(transactionalId);
            }
            else if (!_state.TryGet(transactionalId, out metadata))
            {
                return null;
            }
            await metadata.Gate.WaitAsync().ConfigureAwait(false);
            if (!metadata.Removed)
            {
                return metadata;
            }
            // Expired while this request waited: look the id up again.
            metadata.Gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Completing transaction of {TransactionalId} found in {State} at start-up ({Partitions} partitions)")]
    private static partial void LogCompletingPrepared(ILogger logger, string transactionalId, string state, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transaction of {TransactionalId} (producer {ProducerId}, epoch {Epoch}) ended in {State}; markers written to {Partitions} partitions")]
    private static partial void LogCompleted(ILogger logger, string transactionalId, long producerId, short epoch, string state, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Aborting the transaction of {TransactionalId} with producer {ProducerId} bumped to epoch {Epoch}: {Reason}")]
    private static partial void LogAbortingWithBump(ILogger logger, string transactionalId, long producerId, short epoch, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction markers of {TransactionalId} failed in {Count} partitions, retrying: {Failures}")]
    private static partial void LogMarkersFailed(ILogger logger, string transactionalId, int count, string failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed transactional id {TransactionalId}: unused for transactional.id.expiration.ms")]
    private static partial void LogExpired(ILogger logger, string transactionalId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not reserve a block of producer ids: {Reason}")]
    private static partial void LogProducerIdBlockFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A background transaction task failed")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "SAMSA_FAULT_KILL_AFTER_TXN_PREPARE: killing the broker after writing {State} for {TransactionalId}")]
    private static partial void LogFaultKill(ILogger logger, string transactionalId, string state);
}
