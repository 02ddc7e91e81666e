namespace Samsa.Storage;

/// <summary>
/// Holds the cleaner threads together under <c>log.cleaner.io.max.bytes.per.second</c>: each thread reports the bytes
/// it read or wrote and sleeps while the bytes since the start of the current one-second window exceed what the rate
/// allows for the time passed. Thread-safe.
/// </summary>
internal sealed class CleanerThrottler
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly double _bytesPerSecond;
    private readonly TimeProvider _time;
    private long _windowStart;
    private double _windowBytes;

    public CleanerThrottler(double bytesPerSecond, TimeProvider time)
    {
        _bytesPerSecond = bytesPerSecond;
        _time = time;
        _windowStart = time.GetTimestamp();
    }

    public bool IsUnlimited => _bytesPerSecond >= double.MaxValue || double.IsPositiveInfinity(_bytesPerSecond);

    /// <summary>Counts <paramref name="bytes"/> and sleeps as long as the rate requires (or until <paramref name="stop"/>).</summary>
    public void Acquire(long bytes, CancellationToken stop)
    {
        TimeSpan delay = Record(bytes);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                Task.Delay(delay, _time, stop).Wait(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or AggregateException)
            {
            }
        }
    }

    /// <summary>Counts <paramref name="bytes"/> and returns how long the caller must wait to stay under the rate.</summary>
    internal TimeSpan Record(long bytes)
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            TimeSpan elapsed = _time.GetElapsedTime(_windowStart);
            if (elapsed >= Window && _windowBytes <= _bytesPerSecond * elapsed.TotalSeconds)
            {
                _windowStart = _time.GetTimestamp();
                _windowBytes = 0;
                elapsed = TimeSpan.Zero;
            }

            _windowBytes += bytes;
            TimeSpan allowed = TimeSpan.FromSeconds(_windowBytes / _bytesPerSecond);
            return allowed > elapsed ? allowed - elapsed : TimeSpan.Zero;
        }
    }
}
