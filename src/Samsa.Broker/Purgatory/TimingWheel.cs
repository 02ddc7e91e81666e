namespace Samsa.Broker.Purgatory;

/// <summary>
/// Kafka's hierarchical timing wheel: <c>wheelSize</c> buckets of <c>tickMs</c> each cover one interval;
/// a task beyond it goes to an overflow wheel whose tick is this wheel's whole interval, created on
/// demand. Adding and cancelling cost O(1); buckets, not tasks, are queued by expiration, so the clock
/// advances only when a bucket is due. Not thread-safe on its own: <see cref="SystemTimer"/> guards
/// it with a read/write lock (adds under the read lock, clock advances under the write lock).
/// </summary>
internal sealed class TimingWheel
{
    private readonly long _tickMs;
    private readonly int _wheelSize;
    private readonly long _interval;
    private readonly TimerTaskList[] _buckets;
    private readonly Action<TimerTaskList> _queueBucket;
    private long _currentTimeMs;
    private TimingWheel? _overflowWheel;

    public TimingWheel(long tickMs, int wheelSize, long startMs, Action<TimerTaskList> queueBucket)
    {
        _tickMs = tickMs;
        _wheelSize = wheelSize;
        _interval = tickMs * wheelSize;
        _buckets = new TimerTaskList[wheelSize];
        for (int i = 0; i < wheelSize; i++)
        {
            _buckets[i] = new TimerTaskList();
        }
        _queueBucket = queueBucket;
        // Rounded down to a multiple of the tick.
        _currentTimeMs = startMs - (startMs % tickMs);
    }

    public long CurrentTimeMs => Interlocked.Read(ref _currentTimeMs);

    /// <summary>Places the entry in a bucket; false when it has already expired (or was cancelled) and must run now.</summary>
    public bool Add(TimerTaskEntry entry)
    {
        long expiration = entry.ExpirationMs;
        long now = CurrentTimeMs;
        if (entry.IsCancelled)
        {
            return false;
        }
        if (expiration < now + _tickMs)
        {
            return false;
        }
        if (expiration < now + _interval)
        {
            long virtualId = expiration / _tickMs;
            var bucket = _buckets[(int)(virtualId % _wheelSize)];
            bucket.Add(entry);
            if (bucket.SetExpiration(virtualId * _tickMs))
            {
                _queueBucket(bucket);
            }
            return true;
        }
        return OverflowWheel().Add(entry);
    }

    private TimingWheel OverflowWheel()
    {
        var wheel = Volatile.Read(ref _overflowWheel);
        if (wheel is null)
        {
            var created = new TimingWheel(_interval, _wheelSize, CurrentTimeMs, _queueBucket);
            wheel = Interlocked.CompareExchange(ref _overflowWheel, created, null) ?? created;
        }
        return wheel;
    }

    /// <summary>Moves the clock to <paramref name="timeMs"/> (rounded down to the tick) in this wheel and its overflow wheels.</summary>
    public void AdvanceClock(long timeMs)
    {
        if (timeMs >= CurrentTimeMs + _tickMs)
        {
            Interlocked.Exchange(ref _currentTimeMs, timeMs - (timeMs % _tickMs));
            Volatile.Read(ref _overflowWheel)?.AdvanceClock(CurrentTimeMs);
        }
    }
}
