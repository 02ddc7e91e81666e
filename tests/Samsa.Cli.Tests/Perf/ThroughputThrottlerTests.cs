using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class ThroughputThrottlerTests
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void Negative_target_never_throttles()
    {
        var throttler = new ThroughputThrottler(-1, _time.GetTimestamp(), _time);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(throttler.ShouldThrottle(1_000_000_000, _time.GetTimestamp()));
    }

    [Fact]
    public void Throttles_only_when_the_average_rate_is_above_the_target()
    {
        var throttler = new ThroughputThrottler(1000, _time.GetTimestamp(), _time);
        Assert.False(throttler.ShouldThrottle(5, _time.GetTimestamp()));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(throttler.ShouldThrottle(2000, _time.GetTimestamp()));
        Assert.True(throttler.ShouldThrottle(2001, _time.GetTimestamp()));
    }

    [Fact]
    public void Sleep_debt_builds_per_item_and_is_slept_off_at_two_milliseconds()
    {
        var sleeps = new List<TimeSpan>();
        var throttler = new ThroughputThrottler(1000, _time.GetTimestamp(), _time, span =>
        {
            sleeps.Add(span);
            _time.Advance(span);
        });
        throttler.Throttle();
        Assert.Empty(sleeps);
        Assert.Equal(TimeSpan.FromMilliseconds(1), throttler.SleepDeficit);
        throttler.Throttle();
        Assert.Equal([TimeSpan.FromMilliseconds(2)], sleeps);
        Assert.Equal(TimeSpan.Zero, throttler.SleepDeficit);
    }

    [Fact]
    public void A_sleep_cut_short_is_continued_until_the_debt_is_paid()
    {
        var sleeps = new List<TimeSpan>();
        var throttler = new ThroughputThrottler(250, _time.GetTimestamp(), _time, span =>
        {
            sleeps.Add(span);
            _time.Advance(TimeSpan.FromMilliseconds(Math.Min(span.TotalMilliseconds, 1)));
        });
        throttler.Throttle();
        Assert.Equal([4.0, 3.0, 2.0, 1.0], sleeps.Select(s => s.TotalMilliseconds));
        Assert.Equal(TimeSpan.Zero, throttler.SleepDeficit);
    }

    [Fact]
    public void A_throttled_sender_runs_at_the_target_rate()
    {
        var throttler = new ThroughputThrottler(500, _time.GetTimestamp(), _time, _time.Advance);
        long start = _time.GetTimestamp();
        for (long i = 0; i < 5000; i++)
        {
            if (throttler.ShouldThrottle(i, _time.GetTimestamp()))
            {
                throttler.Throttle();
            }
            _time.Advance(TimeSpan.FromMicroseconds(10));
        }
        double seconds = _time.GetElapsedTime(start).TotalSeconds;
        Assert.InRange(5000 / seconds, 490, 510);
    }

    [Fact]
    public void Wakeup_ends_a_sleep()
    {
        var throttler = new ThroughputThrottler(0.001, _time.GetTimestamp(), _time, span => throw new InvalidOperationException("slept"));
        throttler.Wakeup();
        throttler.Throttle();
        Assert.Equal(TimeSpan.Zero, throttler.SleepDeficit);
    }
}
