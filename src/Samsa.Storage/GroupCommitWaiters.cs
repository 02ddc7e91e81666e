namespace Samsa.Storage;

/// <summary>
/// One log's state in the <see cref="GroupCommitFlusher"/>: the completion every waiter registered since the log's
/// last flush round shares, and whether the log is queued for the next round. Guarded by its own lock (never held
/// together with the log's lock).
/// </summary>
internal sealed class GroupCommitWaiters
{
    public Lock Lock { get; } = new();

    /// <summary>Completed (true: durable; false: the flush failed) by the round that takes it; null when nobody waits.</summary>
    public TaskCompletionSource<bool>? Next { get; set; }

    /// <summary>The log is in the flusher's queue.</summary>
    public bool Queued { get; set; }
}
