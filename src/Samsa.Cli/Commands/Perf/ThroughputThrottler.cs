namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// Holds a sender to about <c>targetThroughput</c> items a second, as Kafka's ThroughputThrottler does: once the
/// average rate since the start is above the target, each item adds 1/target seconds to a sleep debt, and the debt
/// is slept off once it reaches 2 ms (shorter sleeps are too imprecise). A negative target never throttles; zero
/// stops the sender until <see cref="Wakeup"/>. Time comes from the injected <see cref="TimeProvider"/>; the sleep
/// is injectable so that tests advance a manual clock instead of sleeping. Not thread-safe except <see cref="Wakeup"/>:
/// one sending thread calls it.
/// </summary>
internal sealed class ThroughputThrottler
{
    public static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(2);

    private readonly double _targetThroughput;
    private readonly long _startTimestamp;
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan> _sleep;
    private readonly TimeSpan _sleepPerItem;
    private readonly ManualResetEventSlim _wakeup = new(false);
    private TimeSpan _sleepDeficit;

    /// <param name="targetThroughput">Items a second; negative for no limit.</param>
    /// <param name="startTimestamp">The start of the run, from <paramref name="time"/>'s GetTimestamp.</param>
    /// <param name="sleep">Blocks for the given time; defaults to a wait that <see cref="Wakeup"/> can cut short.</param>
    public ThroughputThrottler(double targetThroughput, long startTimestamp, TimeProvider time, Action<TimeSpan>? sleep = null)
    {
        _targetThroughput = targetThroughput;
        _startTimestamp = startTimestamp;
        _time = time;
        _sleep = sleep ?? (span => _wakeup.Wait(span));
        _sleepPerItem = targetThroughput > 0 ? TimeSpan.FromTicks((long)(TimeSpan.TicksPerSecond / targetThroughput)) : TimeSpan.MaxValue;
    }

    /// <summary>The sleep owed and not yet slept.</summary>
    public TimeSpan SleepDeficit => _sleepDeficit;

    /// <summary>True when sending <paramref name="amountSoFar"/> items by <paramref name="sendTimestamp"/> is faster than the target.</summary>
    public bool ShouldThrottle(long amountSoFar, long sendTimestamp)
    {
        if (_targetThroughput < 0)
        {
            return false;
        }
        double elapsedSeconds = _time.GetElapsedTime(_startTimestamp, sendTimestamp).TotalSeconds;
        return elapsedSeconds > 0 && amountSoFar / elapsedSeconds > _targetThroughput;
    }

    /// <summary>Adds one item's worth of sleep to the debt and sleeps it off once it reaches <see cref="MinSleep"/>.</summary>
    public void Throttle()
    {
        if (_targetThroughput == 0)
        {
            _wakeup.Wait();
            return;
        }
        _sleepDeficit += _sleepPerItem;
        if (_sleepDeficit < MinSleep)
        {
            return;
        }
        long sleepStart = _time.GetTimestamp();
        TimeSpan remaining = _sleepDeficit;
        while (remaining > TimeSpan.Zero && !_wakeup.IsSet)
        {
            _sleep(remaining);
            remaining = _sleepDeficit - _time.GetElapsedTime(sleepStart);
        }
        _sleepDeficit = TimeSpan.Zero;
    }

    /// <summary>Ends any current and future throttling sleep (the run is being stopped).</summary>
    public void Wakeup() => _wakeup.Set();
}
