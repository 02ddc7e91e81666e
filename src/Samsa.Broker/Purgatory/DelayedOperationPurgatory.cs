using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Samsa.Protocol;

namespace Samsa.Broker.Purgatory;

/// <summary>
/// Holds <see cref="DelayedOperation"/>s until they can complete or expire (Kafka's DelayedOperationPurgatory).
/// An operation that cannot complete at once is watched under each of its keys (the partitions it waits on) and
/// added to the timer; after a change to a partition (an append), <see cref="CheckAndComplete"/> re-checks the
/// operations watching that key. The timer expires the rest: an expired operation is force-completed, then told
/// it expired.
/// <para>
/// A completed operation leaves a watcher list when a check on that key next walks it; one that completed by
/// expiry, or through another key, may stay in lists no append walks. Such entries are purged once the number of
/// operations watched since the last purge exceeds the pending ones by more than the purge interval
/// (fetch.purgatory.purge.interval.requests), by the caller that crosses that threshold.
/// </para>
/// <para>
/// Locks: an operation's <see cref="DelayedOperation.CompletionLock"/>, then a key stripe lock, then one watcher
/// list's lock; never the other way round. Checks walk a snapshot of a list, taken under its lock and released
/// before any operation's lock is taken. Thread-safe.
/// </para>
/// </summary>
internal sealed class DelayedOperationPurgatory<T> : IDisposable where T : DelayedOperation
{
    private const int KeyLockStripes = 64;

    private readonly SystemTimer _timer;
    private readonly int _purgeInterval;
    private readonly ConcurrentDictionary<TopicPartition, Watchers> _watchersByKey = new();
    // Watching under a key and dropping the key's empty list are atomic under the key's stripe.
    private readonly Lock[] _keyLocks = new Lock[KeyLockStripes];
    // Operations with no key wait only for their expiry; kept here so that shutdown reaches them.
    private readonly Watchers _unkeyed = new(default);
    private readonly StrongBox<int> _delayed = new();
    private int _estimatedTotalOperations;
    private int _purging;
    private int _shutdown;

    /// <param name="name">Kafka's purgatory name ("Fetch", "Produce"), for logs and metrics.</param>
    /// <param name="timer">Expires the operations; owned by the purgatory from now on and disposed with it.</param>
    /// <param name="purgeInterval">How many completed operations may linger in watcher lists before a purge.</param>
    public DelayedOperationPurgatory(string name, SystemTimer timer, int purgeInterval = 1000)
    {
        Name = name;
        _timer = timer;
        _purgeInterval = Math.Max(purgeInterval, 1);
        for (int i = 0; i < _keyLocks.Length; i++)
        {
            _keyLocks[i] = new Lock();
        }
    }

    public string Name { get; }

    /// <summary>Entries in all watcher lists, completed ones not yet removed included (an operation counts once per key).</summary>
    public int Watched
    {
        get
        {
            int watched = _unkeyed.Count;
            foreach (var entry in _watchersByKey)
            {
                watched += entry.Value.Count;
            }
            return watched;
        }
    }

    /// <summary>Operations handed to <see cref="TryCompleteElseWatch"/> that have not completed yet.</summary>
    public int Delayed => Volatile.Read(ref _delayed.Value);

    /// <summary>Keys with a watcher list (an empty list is dropped).</summary>
    internal int WatchedKeys => _watchersByKey.Count;

    /// <summary>
    /// Tries to complete the operation; if it cannot yet, watches it under each key, tries once more (a change that
    /// landed while it was being watched would otherwise go unnoticed) and adds it to the timer. True when it completed
    /// within this call; false when it waits (or has since completed on another thread). After <see cref="Shutdown"/>
    /// the operation is completed at once.
    /// </summary>
    public bool TryCompleteElseWatch(T operation, ReadOnlySpan<TopicPartition> keys)
    {
        if (operation.IsCompleted)
        {
            return true;
        }
        operation.TrackPending(_delayed);
        if (IsShutdown)
        {
            return operation.ForceComplete();
        }
        lock (operation.CompletionLock)
        {
            if (operation.TryComplete())
            {
                return true;
            }
            if (keys.IsEmpty)
            {
                _unkeyed.Watch(operation);
            }
            foreach (var key in keys)
            {
                Watch(key, operation);
            }
            Interlocked.Increment(ref _estimatedTotalOperations);
            if (operation.TryComplete())
            {
                return true;
            }
        }

        if (!operation.IsCompleted)
        {
            try
            {
                _timer.Add(operation);
            }
            catch (ObjectDisposedException)
            {
                // Shut down meanwhile: the check below completes it.
            }
            // Completed while being added: take it off the timer again.
            if (operation.IsCompleted)
            {
                operation.Cancel();
            }
        }
        // Shutdown may have taken its snapshot of the lists before this operation was in them.
        if (IsShutdown && operation.ForceComplete())
        {
            return true;
        }
        MaybePurge();
        return false;
    }

    /// <summary>
    /// Re-checks the operations watching <paramref name="key"/> (call it after the key's state changed, e.g. an append
    /// to the partition) and drops completed ones from its list; returns how many this call completed.
    /// </summary>
    public int CheckAndComplete(TopicPartition key)
    {
        if (!_watchersByKey.TryGetValue(key, out var watchers))
        {
            return 0;
        }
        int completed = watchers.TryCompleteWatched();
        if (watchers.Count == 0)
        {
            RemoveKeyIfEmpty(watchers);
        }
        return completed;
    }

    /// <summary>
    /// Runs the timer's due expirations (its own reaper thread does this too; tests on a manual clock call it) and
    /// purges completed operations from the watcher lists when enough have gathered. Returns the milliseconds until the
    /// next expiration is due, or -1 when none is.
    /// </summary>
    public long AdvanceClock()
    {
        long next = _timer.AdvanceClock();
        MaybePurge();
        return next;
    }

    /// <summary>Drops completed operations from every watcher list and empty lists from the keys; returns how many entries left.</summary>
    public int PurgeCompleted()
    {
        Volatile.Write(ref _estimatedTotalOperations, Delayed);
        int purged = _unkeyed.RemoveCompleted();
        foreach (var entry in _watchersByKey)
        {
            purged += entry.Value.RemoveCompleted();
            if (entry.Value.Count == 0)
            {
                RemoveKeyIfEmpty(entry.Value);
            }
        }
        return purged;
    }

    /// <summary>
    /// Completes every waiting operation (not as an expiry), so the requests behind them answer now, and completes any
    /// operation handed in later at once. The timer keeps running until <see cref="Dispose"/>.
    /// </summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }
        _unkeyed.CompleteAll();
        foreach (var entry in _watchersByKey)
        {
            entry.Value.CompleteAll();
        }
        PurgeCompleted();
    }

    /// <summary>Shuts down (see <see cref="Shutdown"/>) and stops the timer.</summary>
    public void Dispose()
    {
        Shutdown();
        _timer.Dispose();
    }

    // A full fence: pairs with the exchange in Shutdown so that an operation watched concurrently is either in
    // Shutdown's snapshot or sees the flag.
    private bool IsShutdown => Interlocked.CompareExchange(ref _shutdown, 0, 0) != 0;

    private Lock KeyLock(TopicPartition key) => _keyLocks[(key.GetHashCode() & int.MaxValue) % KeyLockStripes];

    private void Watch(TopicPartition key, T operation)
    {
        lock (KeyLock(key))
        {
            _watchersByKey.GetOrAdd(key, static k => new Watchers(k)).Watch(operation);
        }
    }

    private void RemoveKeyIfEmpty(Watchers watchers)
    {
        lock (KeyLock(watchers.Key))
        {
            // Watching happens under this lock too, so an empty list stays empty until the key is gone.
            if (watchers.Count == 0)
            {
                _watchersByKey.TryRemove(KeyValuePair.Create(watchers.Key, watchers));
            }
        }
    }

    private void MaybePurge()
    {
        if (Volatile.Read(ref _estimatedTotalOperations) - Delayed <= _purgeInterval)
        {
            return;
        }
        if (Interlocked.Exchange(ref _purging, 1) != 0)
        {
            return;
        }
        try
        {
            PurgeCompleted();
        }
        finally
        {
            Volatile.Write(ref _purging, 0);
        }
    }

    /// <summary>The operations watching one key, in the order they started watching. Thread-safe.</summary>
    private sealed class Watchers(TopicPartition key)
    {
        private readonly Lock _lock = new();
        private T[] _operations = [];
        private int _count;

        public TopicPartition Key => key;

        public int Count => Volatile.Read(ref _count);

        public void Watch(T operation)
        {
            lock (_lock)
            {
                if (_count == _operations.Length)
                {
                    Array.Resize(ref _operations, Math.Max(4, _count * 2));
                }
                _operations[_count] = operation;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        /// <summary>Checks each operation not yet completed, then drops the completed ones; returns how many this call completed.</summary>
        public int TryCompleteWatched()
        {
            var snapshot = Snapshot(out int count);
            int completed = 0;
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var operation = snapshot[i];
                    if (!operation.IsCompleted && operation.SafeTryComplete())
                    {
                        completed++;
                    }
                }
            }
            finally
            {
                Return(snapshot, count);
            }
            RemoveCompleted();
            return completed;
        }

        public void CompleteAll()
        {
            var snapshot = Snapshot(out int count);
            try
            {
                for (int i = 0; i < count; i++)
                {
                    snapshot[i].ForceComplete();
                }
            }
            finally
            {
                Return(snapshot, count);
            }
        }

        public int RemoveCompleted()
        {
            lock (_lock)
            {
                int kept = 0;
                for (int i = 0; i < _count; i++)
                {
                    var operation = _operations[i];
                    if (!operation.IsCompleted)
                    {
                        _operations[kept++] = operation;
                    }
                }
                int removed = _count - kept;
                Array.Clear(_operations, kept, removed);
                Volatile.Write(ref _count, kept);
                // A list that grew for a burst of waiters gives the memory back once they are gone.
                if (kept == 0 && _operations.Length > 64)
                {
                    _operations = [];
                }
                return removed;
            }
        }

        // Checks run on a copy: an operation's lock must not be taken under this list's lock (see the lock order).
        private T[] Snapshot(out int count)
        {
            lock (_lock)
            {
                count = _count;
                var snapshot = ArrayPool<T>.Shared.Rent(Math.Max(count, 1));
                Array.Copy(_operations, snapshot, count);
                return snapshot;
            }
        }

        private static void Return(T[] snapshot, int count)
        {
            Array.Clear(snapshot, 0, count);
            ArrayPool<T>.Shared.Return(snapshot);
        }
    }
}
