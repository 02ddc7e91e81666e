using Samsa.Cli.Commands.Perf;
using Samsa.Client.Producer;
using Samsa.Protocol;

namespace Samsa.Cli.Tests.Perf;

public sealed class PerfDeliveryHandlerTests
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void Latency_is_delivery_time_minus_send_time_of_the_same_token()
    {
        var clock = new PerfClock(_time);
        var stats = new ProducerPerfStats(4, clock.NowMicros, null);
        var handler = new ProducerPerfCommand.PerfDeliveryHandler(clock, stats, slots: 2, TextWriter.Null);
        handler.Sending(0, clock.NowMicros, 10);
        _time.Advance(TimeSpan.FromMilliseconds(3));
        handler.Sending(1, clock.NowMicros, 10);
        _time.Advance(TimeSpan.FromMilliseconds(4));
        handler.OnDelivery(1, Success);
        handler.OnDelivery(0, Success);
        // Token 1 waited 4 ms, token 0 waited 7 ms; both slots are free again.
        Assert.EndsWith("5.50 ms avg latency, 7.00 ms max latency, 7 ms 50th, 7 ms 95th, 7 ms 99th, 7 ms 99.9th.", stats.TotalLine(clock.NowMicros));
        handler.Sending(2, clock.NowMicros, 10);
        handler.Sending(3, clock.NowMicros, 10);
    }

    [Fact]
    public void Failed_records_are_counted_not_timed()
    {
        var clock = new PerfClock(_time);
        var stats = new ProducerPerfStats(2, clock.NowMicros, null);
        var error = new StringWriter();
        var handler = new ProducerPerfCommand.PerfDeliveryHandler(clock, stats, slots: 2, error);
        handler.Sending(0, clock.NowMicros, 10);
        handler.OnDelivery(0, Success with { Error = ErrorCode.NotLeaderOrFollower, Reason = "moved" });
        Assert.Equal(1, handler.Failed);
        Assert.Equal(0, stats.Count);
        Assert.Contains("record 0 to t failed: NotLeaderOrFollower moved", error.ToString());
    }

    [Fact]
    public void Sending_and_delivering_allocate_nothing()
    {
        var clock = new PerfClock(_time);
        var stats = new ProducerPerfStats(100_000, clock.NowMicros, null);
        var handler = new ProducerPerfCommand.PerfDeliveryHandler(clock, stats, slots: 1024, TextWriter.Null);
        var info = Success;
        for (int i = 0; i < 2048; i++)
        {
            handler.Sending(i, clock.NowMicros, 100);
            handler.OnDelivery(i, info);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 2048; i < 100_000; i++)
        {
            handler.Sending(i, clock.NowMicros, 100);
            handler.OnDelivery(i, info);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static DeliveryInfo Success => new("t", 0, 0, 0, Samsa.Client.TimestampType.CreateTime, ErrorCode.None, null);
}
