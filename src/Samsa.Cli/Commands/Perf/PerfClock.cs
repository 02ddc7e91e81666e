namespace Samsa.Cli.Commands.Perf;

/// <summary>Microseconds since a fixed origin, from a monotonic <see cref="TimeProvider"/> timestamp. Immutable.</summary>
internal readonly struct PerfClock
{
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly double _microsPerTick;

    public PerfClock(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _microsPerTick = 1_000_000.0 / time.TimestampFrequency;
    }

    public TimeProvider Time => _time;

    public long NowMicros => ToMicros(_time.GetTimestamp());

    public long ToMicros(long timestamp) => (long)((timestamp - _origin) * _microsPerTick);
}
