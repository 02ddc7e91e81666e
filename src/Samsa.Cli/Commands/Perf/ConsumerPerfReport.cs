using System.Globalization;

namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// kafka-consumer-perf-test's CSV lines: the header, the summary line (start and end as `yyyy-MM-dd HH:mm:ss:SSS` in
/// local time, MB with four decimals, MB = 1024 * 1024 bytes) and the per-interval line of --show-detailed-stats.
/// Stateless.
/// </summary>
internal static class ConsumerPerfReport
{
    private const string ExtraColumns = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

    public static string Header(bool detailed) => detailed
        ? "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + ExtraColumns
        : "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + ExtraColumns;

    /// <summary>Kafka's default date format, yyyy-MM-dd HH:mm:ss:SSS, in <paramref name="zone"/>.</summary>
    public static string FormatTime(long unixMs, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone).ToString("yyyy-MM-dd HH:mm:ss:fff", CultureInfo.InvariantCulture);

    /// <summary>
    /// `start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch messages/s`; the rates
    /// divide by the whole run, the fetch rates by the run less the time spent joining the group.
    /// </summary>
    public static string Summary(long startMs, long endMs, TimeZoneInfo zone, long bytes, long messages, long joinTimeMs)
    {
        double elapsedSec = (endMs - startMs) / 1000.0;
        long fetchTimeMs = endMs - startMs - joinTimeMs;
        double mb = bytes / (1024.0 * 1024.0);
        return string.Format(CultureInfo.InvariantCulture, "{0}, {1}, {2:F4}, {3:F4}, {4}, {5:F4}, {6}, {7}, {8:F4}, {9:F4}",
            FormatTime(startMs, zone), FormatTime(endMs, zone), mb, mb / elapsedSec, messages, messages / elapsedSec,
            joinTimeMs, fetchTimeMs, mb / (fetchTimeMs / 1000.0), messages / (fetchTimeMs / 1000.0));
    }

    /// <summary>One --show-detailed-stats line for the interval from <paramref name="startMs"/> to <paramref name="endMs"/>.</summary>
    public static string Interval(long startMs, long endMs, TimeZoneInfo zone, long bytes, long lastBytes, long messages, long lastMessages, long joinTimeMsInInterval)
    {
        double elapsedMs = endMs - startMs;
        double totalMb = bytes / (1024.0 * 1024.0);
        double intervalMb = (bytes - lastBytes) / (1024.0 * 1024.0);
        long intervalMessages = messages - lastMessages;
        long fetchTimeMs = endMs - startMs - joinTimeMsInInterval;
        return string.Format(CultureInfo.InvariantCulture, "{0}, {1}, {2:F4}, {3:F4}, {4}, {5:F4}, {6}, {7}, {8:F4}, {9:F4}",
            FormatTime(endMs, zone), 0, totalMb, 1000.0 * intervalMb / elapsedMs, messages, intervalMessages / elapsedMs * 1000.0,
            joinTimeMsInInterval, fetchTimeMs,
            fetchTimeMs <= 0 ? 0.0 : 1000.0 * intervalMb / fetchTimeMs,
            fetchTimeMs <= 0 ? 0.0 : 1000.0 * intervalMessages / fetchTimeMs);
    }

    public static string TimeoutWarning(long timeoutMs) =>
        $"WARNING: Exiting before consuming the expected number of messages: timeout ({timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.";
}
