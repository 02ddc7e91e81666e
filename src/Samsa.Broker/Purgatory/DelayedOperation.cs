using System.Runtime.CompilerServices;

namespace Samsa.Broker.Purgatory;

/// <summary>
/// A request that waits in a <see cref="DelayedOperationPurgatory{T}"/> until it can complete or its delay expires
/// (Kafka's DelayedOperation). Subclasses say when the operation can complete (<see cref="TryComplete"/>, which calls
/// <see cref="ForceComplete"/> when it can), what completing does (<see cref="OnComplete"/>) and what an expiry adds
/// (<see cref="OnExpiration"/>, after the forced completion).
/// <para>
/// Completion happens exactly once, whichever comes first of a successful check, the expiry or a shutdown: an atomic
/// flag decides, and the winner cancels the timer entry and runs <see cref="OnComplete"/>. Completion checks of one
/// operation never run concurrently: the purgatory calls <see cref="TryComplete"/> only through
/// <see cref="SafeTryComplete"/>, under the operation's lock, so subclasses may keep unsynchronized state for their
/// checks. Thread-safe.
/// </para>
/// </summary>
internal abstract class DelayedOperation : TimerTask
{
    private readonly Lock _lock;
    private int _completed;
    private StrongBox<int>? _pendingCount;

    /// <param name="delayMs">How long the operation may wait before it expires.</param>
    /// <param name="lockObject">The lock its completion checks run under; operations that share state may share one.</param>
    protected DelayedOperation(long delayMs, Lock? lockObject = null)
        : base(delayMs)
    {
        _lock = lockObject ?? new Lock();
    }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>
    /// Completes the operation unless it already is: cancels its timer entry and runs <see cref="OnComplete"/>.
    /// True for the one caller that completed it.
    /// </summary>
    public bool ForceComplete()
    {
        if (Interlocked.CompareExchange(ref _completed, 1, 0) != 0)
        {
            return false;
        }
        Cancel();
        if (_pendingCount is { } pending)
        {
            Interlocked.Decrement(ref pending.Value);
        }
        OnComplete();
        return true;
    }

    /// <summary>
    /// Checks whether the operation can complete now and, if so, calls <see cref="ForceComplete"/>; true when it
    /// completed. Runs under the operation's lock (see <see cref="SafeTryComplete"/>).
    /// </summary>
    public abstract bool TryComplete();

    /// <summary>The operation's result: runs once, on the thread that completed it.</summary>
    protected abstract void OnComplete();

    /// <summary>Runs after <see cref="OnComplete"/> when the operation completed because its delay expired.</summary>
    protected abstract void OnExpiration();

    /// <summary><see cref="TryComplete"/> under the operation's lock, so checks of one operation never overlap.</summary>
    public bool SafeTryComplete()
    {
        lock (_lock)
        {
            return !IsCompleted && TryComplete();
        }
    }

    /// <summary>The lock <see cref="TryComplete"/> runs under; the purgatory also holds it while it starts watching.</summary>
    internal Lock CompletionLock => _lock;

    /// <summary>Counts the operation as pending in a purgatory until it completes (set before it is visible to others).</summary>
    internal void TrackPending(StrongBox<int> pendingCount)
    {
        _pendingCount = pendingCount;
        Interlocked.Increment(ref pendingCount.Value);
    }

    /// <summary>The delay expired: the timer completes the operation, and only if that call completed it, reports the expiry.</summary>
    public sealed override void Run()
    {
        if (ForceComplete())
        {
            OnExpiration();
        }
    }
}
