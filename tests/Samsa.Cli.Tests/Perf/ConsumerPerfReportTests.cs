using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class ConsumerPerfReportTests
{
    private static readonly long Start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void Header_is_kafkas()
    {
        Assert.Equal("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
            ConsumerPerfReport.Header(detailed: false));
        Assert.StartsWith("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms",
            ConsumerPerfReport.Header(detailed: true));
    }

    [Fact]
    public void Summary_line_has_kafkas_columns_and_precision()
    {
        // 100 MiB and 1,000,000 records in 2.5 s, 500 ms of it joining the group.
        string line = ConsumerPerfReport.Summary(Start, Start + 2500, TimeZoneInfo.Utc, 100L * 1024 * 1024, 1_000_000, 500);
        Assert.Equal("2026-01-02 03:04:05:006, 2026-01-02 03:04:07:506, 100.0000, 40.0000, 1000000, 400000.0000, 500, 2000, 50.0000, 500000.0000", line);
    }

    [Fact]
    public void Interval_line_reports_the_interval_rates_and_the_running_totals()
    {
        string line = ConsumerPerfReport.Interval(Start, Start + 5000, TimeZoneInfo.Utc, 20L * 1024 * 1024, 10L * 1024 * 1024, 300, 100, 1000);
        Assert.Equal("2026-01-02 03:04:10:006, 0, 20.0000, 2.0000, 300, 40.0000, 1000, 4000, 2.5000, 50.0000", line);
    }

    [Fact]
    public void Times_are_printed_in_the_given_zone()
    {
        var plusTwo = TimeZoneInfo.CreateCustomTimeZone("plus-two", TimeSpan.FromHours(2), "plus-two", "plus-two");
        Assert.Equal("2026-01-02 05:04:05:006", ConsumerPerfReport.FormatTime(Start, plusTwo));
    }
}
