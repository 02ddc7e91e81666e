using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage;

/// <summary>
/// Group commit: acknowledges appends only once their bytes are on disk, sharing one sync among every append that
/// arrived while the previous sync ran.
/// <para>
/// An appender first appends (a page-cache write under the log's lock, <see cref="PartitionLog.Append"/>), then awaits
/// <see cref="WaitForFlushAsync"/> with the log end its append reached. The first waiter of a log since its last round
/// queues the log; later ones share the same completion. A dedicated thread takes the queued logs in rounds: for each
/// it detaches the shared completion, then calls <see cref="PartitionLog.FlushToLogEnd"/>, which snapshots the log end
/// and syncs each segment holding unflushed offsets once, outside the log's lock, and moves the recovery point. Every
/// waiter of the detached completion appended before the detach, so before the snapshot: the flush covers it and the
/// completion is set to true. Waiters that arrive during a round queue the log for the next round, so under load a
/// round's one sync per log covers all the appends that arrived during the previous one.
/// </para>
/// <para>
/// The logs are spread by partition over several such threads (shards, default 8), each with its own queue and rounds,
/// so the syncs of different partitions run at the same time: the file system then commits their metadata (the new
/// file sizes) in one journal transaction instead of one after another, which is what a sync costs most on ext4. One
/// log always goes to the same shard, so its rounds never overlap.
/// </para>
/// <para>
/// A failed sync (<see cref="IOException"/>) completes that round's waiters with false and is reported through the
/// failure callback (the <see cref="LogManager"/> takes the log dir offline). After <see cref="Dispose"/> the queue is
/// flushed once more and later waiters get false.
/// </para>
/// Thread-safe.
/// </summary>
public sealed partial class GroupCommitFlusher : IDisposable
{
    /// <summary>The default number of flusher threads.</summary>
    public const int DefaultThreads = 8;

    private readonly Action<SafeFileHandle> _sync;
    private readonly Action<PartitionLog, Exception>? _onFailure;
    private readonly ILogger _logger;
    private readonly Shard[] _shards;
    private long _rounds;

    /// <param name="onFailure">Called (on a flusher thread) with the log whose sync failed and the cause.</param>
    /// <param name="sync">Makes one segment file durable; default <see cref="FileSync.FullSync"/> (fsync). Tests count calls.</param>
    /// <param name="logger">For a failing callback.</param>
    /// <param name="threads">Flusher threads; partitions are spread over them.</param>
    public GroupCommitFlusher(
        Action<PartitionLog, Exception>? onFailure = null, Action<SafeFileHandle>? sync = null, ILogger? logger = null, int threads = DefaultThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _onFailure = onFailure;
        _sync = sync ?? FileSync.FullSync;
        _logger = logger ?? NullLogger.Instance;
        _shards = new Shard[threads];
        for (int i = 0; i < threads; i++)
        {
            _shards[i] = new Shard(this, i);
        }
    }

    /// <summary>Flush rounds run so far over all threads (a round syncs every log queued on its thread once).</summary>
    public long Rounds => Volatile.Read(ref _rounds);

    /// <summary>
    /// Completes with true once every offset of <paramref name="log"/> below <paramref name="upToOffset"/> (the log end
    /// an append reached) is on disk, or false when the flush failed, the log's dir is offline or the flusher has
    /// stopped. Completes synchronously when the recovery point is already there. The waiters of one log share one
    /// task per round, so a wait allocates nothing beyond it.
    /// </summary>
    public ValueTask<bool> WaitForFlushAsync(PartitionLog log, long upToOffset)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.RecoveryPoint >= upToOffset)
        {
            return new ValueTask<bool>(true);
        }

        if (log.IsOffline)
        {
            return new ValueTask<bool>(false);
        }

        GroupCommitWaiters waiters = log.GroupCommit;
        Task<bool> task;
        bool enqueue = false;
        lock (waiters.Lock)
        {
            waiters.Next ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            task = waiters.Next.Task;
            if (!waiters.Queued)
            {
                waiters.Queued = true;
                enqueue = true;
            }
        }

        if (enqueue && !_shards[(int)((uint)log.TopicPartition.GetHashCode() % (uint)_shards.Length)].Enqueue(log))
        {
            Detach(log)?.TrySetResult(false);
        }

        return new ValueTask<bool>(task);
    }

    /// <summary>Stops the threads, each after one last round over its queued logs.</summary>
    public void Dispose()
    {
        foreach (Shard shard in _shards)
        {
            shard.Stop();
        }

        foreach (Shard shard in _shards)
        {
            shard.Join();
        }
    }

    /// <summary>Takes the log out of the queue's bookkeeping and returns the completion its waiters share.</summary>
    private static TaskCompletionSource<bool>? Detach(PartitionLog log)
    {
        GroupCommitWaiters waiters = log.GroupCommit;
        lock (waiters.Lock)
        {
            TaskCompletionSource<bool>? completion = waiters.Next;
            waiters.Next = null;
            waiters.Queued = false;
            return completion;
        }
    }

    /// <summary>Syncs the log up to its end; false when that failed.</summary>
    private bool Flush(PartitionLog log)
    {
        try
        {
            log.FlushToLogEnd(_sync);
            return true;
        }
        catch (LogDirOfflineException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            // Closed or deleted meanwhile.
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                _onFailure?.Invoke(log, ex);
            }
            catch (Exception callbackFailure)
            {
                LogCallbackFailed(_logger, log.TopicPartition.ToString(), callbackFailure);
            }

            return false;
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: reporting a failed group-commit flush failed")]
    private static partial void LogCallbackFailed(ILogger logger, string topicPartition, Exception exception);

    /// <summary>One flusher thread and its queue of logs with waiters.</summary>
    private sealed class Shard
    {
        // A monitor rather than a Lock: the thread waits on it with Monitor.Wait.
        private readonly object _queueLock = new();
        private readonly GroupCommitFlusher _owner;
        private readonly Thread _thread;
        private List<PartitionLog> _queue = [];
        private List<PartitionLog> _round = [];
        private bool _stopped;

        public Shard(GroupCommitFlusher owner, int index)
        {
            _owner = owner;
            _thread = new Thread(Run) { IsBackground = true, Name = "samsa-group-commit-" + index };
            _thread.Start();
        }

        /// <summary>Queues the log for the next round; false when the thread has stopped.</summary>
        public bool Enqueue(PartitionLog log)
        {
            lock (_queueLock)
            {
                if (_stopped)
                {
                    return false;
                }

                _queue.Add(log);
                Monitor.Pulse(_queueLock);
                return true;
            }
        }

        public void Stop()
        {
            lock (_queueLock)
            {
                _stopped = true;
                Monitor.Pulse(_queueLock);
            }
        }

        public void Join() => _thread.Join();

        private void Run()
        {
            while (true)
            {
                bool stopped;
                lock (_queueLock)
                {
                    while (_queue.Count == 0 && !_stopped)
                    {
                        Monitor.Wait(_queueLock);
                    }

                    (_queue, _round) = (_round, _queue);
                    stopped = _stopped;
                }

                foreach (PartitionLog log in _round)
                {
                    TaskCompletionSource<bool>? completion = Detach(log);
                    completion?.TrySetResult(_owner.Flush(log));
                }

                _round.Clear();
                Interlocked.Increment(ref _owner._rounds);
                if (stopped)
                {
                    return;
                }
            }
        }
    }
}
