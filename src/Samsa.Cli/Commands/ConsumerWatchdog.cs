namespace Samsa.Cli.Commands;

/// <summary>
/// Bounds how long a tool can sit inside one consumer call: the consumer's group join and offset lookups wait for
/// the cluster without the call's timeout, so against an unreachable broker a `--timeout-ms` would never end the run.
/// If <see cref="Kick"/> is not called within the limit, the consumer is disposed (Dispose is the consumer's one
/// thread-safe call), which ends the blocked call with an exception the tool reads through <see cref="Fired"/>.
/// Thread-safe.
/// </summary>
internal sealed class ConsumerWatchdog : IDisposable
{
    private readonly ITimer _timer;
    private readonly TimeSpan _limit;
    private int _fired;

    public ConsumerWatchdog(IDisposable consumer, TimeSpan limit, TimeProvider time)
    {
        _limit = limit;
        _timer = time.CreateTimer(_ =>
        {
            if (Interlocked.Exchange(ref _fired, 1) == 0)
            {
                consumer.Dispose();
            }
        }, null, limit, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the limit passed and the consumer was disposed.</summary>
    public bool Fired => Volatile.Read(ref _fired) != 0;

    /// <summary>The tool made progress: the limit starts again.</summary>
    public void Kick() => _timer.Change(_limit, Timeout.InfiniteTimeSpan);

    public void Dispose() => _timer.Dispose();
}
