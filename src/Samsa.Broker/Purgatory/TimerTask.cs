namespace Samsa.Broker.Purgatory;

/// <summary>
/// Work to run once a delay has passed, unless cancelled first. A task sits in at most one timer
/// bucket at a time. Thread-safe.
/// </summary>
internal abstract class TimerTask
{
    private readonly Lock _lock = new();
    private TimerTaskEntry? _entry;

    protected TimerTask(long delayMs) => DelayMs = delayMs;

    public long DelayMs { get; }

    public bool IsCancelled { get; private set; }

    /// <summary>Removes the task from its bucket; it will not run.</summary>
    public void Cancel()
    {
        lock (_lock)
        {
            IsCancelled = true;
            _entry?.Remove();
            _entry = null;
        }
    }

    /// <summary>Runs on the thread pool when the delay has expired.</summary>
    public abstract void Run();

    internal void SetEntry(TimerTaskEntry entry)
    {
        lock (_lock)
        {
            // A task moved between buckets (a cascade) leaves its old entry behind.
            if (_entry is not null && _entry != entry)
            {
                _entry.Remove();
            }
            _entry = entry;
        }
    }

    internal TimerTaskEntry? Entry
    {
        get
        {
            lock (_lock)
            {
                return _entry;
            }
        }
    }
}

/// <summary>A timer task built from a callback.</summary>
internal sealed class ActionTimerTask(long delayMs, Action action) : TimerTask(delayMs)
{
    public override void Run() => action();
}
