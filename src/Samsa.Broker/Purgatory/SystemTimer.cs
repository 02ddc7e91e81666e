namespace Samsa.Broker.Purgatory;

/// <summary>
/// Runs <see cref="TimerTask"/>s after their delay on a hierarchical timing wheel (1 ms ticks, 20
/// buckets per level, as Kafka). Due buckets come from a priority queue ordered by expiration; a
/// reaper thread sleeps until the next bucket is due, advances the wheel and re-inserts that bucket's
/// entries, which either cascade into a finer wheel or run on the thread pool.
/// Time comes from the injected <see cref="TimeProvider"/>; tests with a fake clock call
/// <see cref="AdvanceClock"/> instead of starting the reaper. Thread-safe.
/// </summary>
internal sealed class SystemTimer : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimingWheel _wheel;
    private readonly PriorityQueue<TimerTaskList, long> _dueBuckets = new();
    private readonly Lock _queueLock = new();
    private readonly ReaderWriterLockSlim _wheelLock = new();
    private readonly SemaphoreSlim _wakeUp = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread? _reaper;
    private readonly Action<TimerTask> _execute;
    private int _count;

    /// <param name="execute">Runs an expired task; the thread pool by default. Tests pass an inline runner
    /// (which must not add timer tasks itself).</param>
    public SystemTimer(TimeProvider time, bool startReaper = true, long tickMs = 1, int wheelSize = 20, Action<TimerTask>? execute = null)
    {
        _time = time;
        _execute = execute ?? (static task => ThreadPool.UnsafeQueueUserWorkItem(static t => t.Run(), task, preferLocal: false));
        _wheel = new TimingWheel(tickMs, wheelSize, NowMs(), QueueBucket);
        if (startReaper)
        {
            _reaper = new Thread(ReaperLoop) { IsBackground = true, Name = "samsa-timer" };
            _reaper.Start();
        }
    }

    /// <summary>Tasks added and neither run nor cancelled (cancelled ones leave when their bucket is flushed).</summary>
    public int Count => Volatile.Read(ref _count);

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Add(TimerTask task)
    {
        _wheelLock.EnterReadLock();
        try
        {
            AddEntry(new TimerTaskEntry(task, task.DelayMs + NowMs()));
        }
        finally
        {
            _wheelLock.ExitReadLock();
        }
    }

    private void AddEntry(TimerTaskEntry entry)
    {
        if (_wheel.Add(entry))
        {
            Interlocked.Increment(ref _count);
            return;
        }
        if (!entry.IsCancelled)
        {
            _execute(entry.Task);
        }
    }

    private void QueueBucket(TimerTaskList bucket)
    {
        lock (_queueLock)
        {
            _dueBuckets.Enqueue(bucket, bucket.ExpirationMs);
        }
        _wakeUp.Release();
    }

    /// <summary>Runs everything due at the current time; returns how long until the next bucket is due (-1: none).</summary>
    public long AdvanceClock()
    {
        long now = NowMs();
        while (true)
        {
            TimerTaskList? bucket = null;
            lock (_queueLock)
            {
                if (_dueBuckets.TryPeek(out var next, out long expiration))
                {
                    if (next.ExpirationMs != expiration)
                    {
                        // Stale queue entry: the bucket was flushed or re-queued with another expiration.
                        _dueBuckets.Dequeue();
                        continue;
                    }
                    if (expiration > now)
                    {
                        return expiration - now;
                    }
                    bucket = _dueBuckets.Dequeue();
                }
            }
            if (bucket is null)
            {
                return -1;
            }
            _wheelLock.EnterWriteLock();
            try
            {
                _wheel.AdvanceClock(bucket.ExpirationMs);
                bucket.Flush(entry =>
                {
                    Interlocked.Decrement(ref _count);
                    AddEntry(entry);
                });
            }
            finally
            {
                _wheelLock.ExitWriteLock();
            }
        }
    }

    private void ReaperLoop()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            long wait = AdvanceClock();
            try
            {
                _wakeUp.Wait(wait < 0 ? Timeout.Infinite : (int)Math.Min(wait, 200), token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _reaper?.Join();
        _stopping.Dispose();
        _wakeUp.Dispose();
        _wheelLock.Dispose();
    }
}
