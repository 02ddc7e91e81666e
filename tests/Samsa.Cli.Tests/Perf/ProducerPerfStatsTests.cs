using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class ProducerPerfStatsTests
{
    [Fact]
    public void Percentiles_take_the_sample_at_floor_of_p_times_count()
    {
        // 1..1000 ms, shuffled: index floor(p * 1000) of the sorted samples.
        var samples = Enumerable.Range(1, 1000).Select(ms => ms * 1000).Reverse().ToArray();
        var result = ProducerPerfStats.Percentiles(samples, samples.Length, 0.5, 0.95, 0.99, 0.999);
        Assert.Equal([501_000, 951_000, 991_000, 1_000_000], result);
    }

    [Fact]
    public void Percentiles_of_no_samples_are_zero()
    {
        Assert.Equal([0, 0], ProducerPerfStats.Percentiles(new int[1], 0, 0.5, 0.999));
    }

    [Fact]
    public void Window_line_has_kafkas_format()
    {
        // 25,000 records of 100 B in 5,000 ms; latencies sum to 37,500 ms, max 12.34 ms.
        string line = ProducerPerfStats.FormatWindow(25_000, 2_500_000, 5000, 37_500_000, 12_340);
        Assert.Equal("25000 records sent, 5000.0 records/sec (0.48 MB/sec), 1.5 ms avg latency, 12.3 ms max latency.", line);
    }

    [Fact]
    public void Total_line_has_kafkas_format()
    {
        string line = ProducerPerfStats.FormatTotal(1_000_000, 100_000_000, 2000, 3_000_000_000, 250_000, [2_900, 9_000, 20_500, 99_999]);
        Assert.Equal("1000000 records sent, 500000.000000 records/sec (47.68 MB/sec), 3.00 ms avg latency, 250.00 ms max latency, "
            + "2 ms 50th, 9 ms 95th, 20 ms 99th, 99 ms 99.9th.", line);
    }

    [Fact]
    public void Recording_a_fixed_set_of_latencies_gives_the_expected_totals_line()
    {
        var stats = new ProducerPerfStats(numRecords: 100, startMicros: 0, reportWindow: null);
        for (int i = 1; i <= 100; i++)
        {
            stats.Record(latencyMicros: i * 1000, bytes: 1024, nowMicros: 1000);
        }
        // 100 records of 1 KiB in 1 s: avg (1+...+100)/100 = 50.5 ms; p50 = sorted[50] = 51 ms, p95 = 96, p99 = 100, p99.9 = 100.
        Assert.Equal("100 records sent, 100.000000 records/sec (0.10 MB/sec), 50.50 ms avg latency, 100.00 ms max latency, "
            + "51 ms 50th, 96 ms 95th, 100 ms 99th, 100 ms 99.9th.", stats.TotalLine(1_000_000));
        Assert.Equal(100, stats.Count);
    }

    [Fact]
    public void A_window_is_reported_once_it_is_five_seconds_old_and_then_restarts()
    {
        var lines = new List<string>();
        var stats = new ProducerPerfStats(numRecords: 10, startMicros: 0, lines.Add);
        stats.Record(2000, 100, nowMicros: 1_000_000);
        stats.Record(4000, 100, nowMicros: 4_999_999);
        Assert.Empty(lines);
        stats.Record(6000, 100, nowMicros: 5_000_000);
        Assert.Equal(["3 records sent, 0.6 records/sec (0.00 MB/sec), 4.0 ms avg latency, 6.0 ms max latency."], lines);
        stats.Record(1000, 100, nowMicros: 10_000_000);
        Assert.Equal("1 records sent, 0.2 records/sec (0.00 MB/sec), 1.0 ms avg latency, 1.0 ms max latency.", lines[^1]);
    }

    [Fact]
    public void Sampling_keeps_at_most_half_a_million_latencies()
    {
        // 1,500,000 records: every third latency is kept, so the array never overflows.
        var stats = new ProducerPerfStats(numRecords: 1_500_000, startMicros: 0, reportWindow: null);
        for (int i = 0; i < 1_500_000; i++)
        {
            stats.Record(i % 3 == 0 ? 7000 : 1000, 1, 0);
        }
        Assert.EndsWith("7 ms 50th, 7 ms 95th, 7 ms 99th, 7 ms 99.9th.", stats.TotalLine(1_000_000));
    }

    [Fact]
    public void Steady_state_statistics_say_so_in_their_lines()
    {
        var lines = new List<string>();
        var stats = new ProducerPerfStats(numRecords: 10, startMicros: 0, lines.Add, steadyState: true);
        stats.Record(2000, 100, nowMicros: 5_000_000);
        stats.Record(2000, 100, nowMicros: 10_000_000);
        Assert.Equal(["In steady state.", "1 records sent, 0.2 records/sec (0.00 MB/sec), 2.0 ms avg latency, 2.0 ms max latency.",
            "1 records sent, 0.2 records/sec (0.00 MB/sec), 2.0 ms avg latency, 2.0 ms max latency."], lines);
        Assert.StartsWith("2 steady state records sent, 0.200000 records/sec", stats.TotalLine(10_000_000), StringComparison.Ordinal);
    }

    [Fact]
    public void Suppressed_windows_are_not_reported_but_still_counted()
    {
        var lines = new List<string>();
        var stats = new ProducerPerfStats(numRecords: 10, startMicros: 0, lines.Add);
        stats.SuppressWindows();
        stats.Record(2000, 100, nowMicros: 6_000_000);
        Assert.Empty(lines);
        Assert.Equal(1, stats.Count);
    }
}
