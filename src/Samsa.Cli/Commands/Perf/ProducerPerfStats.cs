using System.Globalization;

namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// kafka-producer-perf-test's statistics: running totals, a window reported every <see cref="ReportingIntervalMs"/>,
/// and every k-th latency kept (at most 500,000 of them) for the percentiles. Latencies are kept in microseconds and
/// printed in milliseconds; times are microseconds of a monotonic clock. Recording allocates nothing.
/// Thread-safe: delivery handlers record from client threads while the sending thread reads <see cref="Count"/>.
/// </summary>
internal sealed class ProducerPerfStats
{
    public const long ReportingIntervalMs = 5000;
    private const long MaxSamples = 500_000;

    private readonly Lock _lock = new();
    private readonly int[] _samples;
    private readonly long _sampling;
    private readonly long _startMicros;
    private readonly Action<string>? _reportWindow;
    private readonly bool _steadyState;
    private bool _suppressWindows;
    private long _iteration;
    private int _sampleCount;
    private long _count;
    private long _bytes;
    private long _totalLatencyMicros;
    private long _maxLatencyMicros;
    private long _windowStartMicros;
    private long _windowCount;
    private long _windowBytes;
    private long _windowTotalLatencyMicros;
    private long _windowMaxLatencyMicros;

    /// <param name="numRecords">Records the run will send: sets how often a latency is sampled.</param>
    /// <param name="startMicros">The start of the run and of the first window.</param>
    /// <param name="reportWindow">Receives a window line every <see cref="ReportingIntervalMs"/>; null prints none.</param>
    /// <param name="steadyState">Counts only the records after --warmup-records: its lines say "steady state".</param>
    public ProducerPerfStats(long numRecords, long startMicros, Action<string>? reportWindow, bool steadyState = false)
    {
        _steadyState = steadyState;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numRecords);
        _sampling = numRecords / Math.Min(numRecords, MaxSamples);
        _samples = new int[(int)(numRecords / _sampling) + 1];
        _startMicros = startMicros;
        _windowStartMicros = startMicros;
        _reportWindow = reportWindow;
    }

    /// <summary>Records acknowledged so far.</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Stops window lines (the steady-state statistics report from now on).</summary>
    public void SuppressWindows()
    {
        lock (_lock)
        {
            _suppressWindows = true;
        }
    }

    /// <summary>Counts one acknowledged record; reports and restarts the window once it is 5 s old.</summary>
    public void Record(long latencyMicros, int bytes, long nowMicros)
    {
        string? line = null;
        bool enteringSteadyState = false;
        lock (_lock)
        {
            latencyMicros = Math.Clamp(latencyMicros, 0, int.MaxValue);
            _count++;
            _bytes += bytes;
            _totalLatencyMicros += latencyMicros;
            _maxLatencyMicros = Math.Max(_maxLatencyMicros, latencyMicros);
            _windowCount++;
            _windowBytes += bytes;
            _windowTotalLatencyMicros += latencyMicros;
            _windowMaxLatencyMicros = Math.Max(_windowMaxLatencyMicros, latencyMicros);
            if (_iteration % _sampling == 0 && _sampleCount < _samples.Length)
            {
                _samples[_sampleCount++] = (int)latencyMicros;
            }
            _iteration++;
            if (nowMicros - _windowStartMicros >= ReportingIntervalMs * 1000)
            {
                enteringSteadyState = _steadyState && _count == _windowCount;
                if (_reportWindow is not null && !_suppressWindows)
                {
                    line = FormatWindow(_windowCount, _windowBytes, (nowMicros - _windowStartMicros) / 1000.0,
                        _windowTotalLatencyMicros, _windowMaxLatencyMicros);
                }
                _windowStartMicros = nowMicros;
                _windowCount = 0;
                _windowBytes = 0;
                _windowTotalLatencyMicros = 0;
                _windowMaxLatencyMicros = 0;
            }
        }
        if (line is not null)
        {
            if (enteringSteadyState)
            {
                _reportWindow!("In steady state.");
            }
            _reportWindow!(line);
        }
    }

    /// <summary>
    /// The final line: totals since the start, with the 50th, 95th, 99th and 99.9th percentile latencies (`N steady
    /// state records sent, ...` for the steady-state statistics).
    /// </summary>
    public string TotalLine(long nowMicros)
    {
        lock (_lock)
        {
            int[] percentiles = Percentiles(_samples, _sampleCount, 0.5, 0.95, 0.99, 0.999);
            string line = FormatTotal(_count, _bytes, (nowMicros - _startMicros) / 1000.0, _totalLatencyMicros, _maxLatencyMicros, percentiles);
            return _steadyState ? line.Replace(" records sent,", " steady state records sent,", StringComparison.Ordinal) : line;
        }
    }

    /// <summary>
    /// `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.` with Kafka's precision
    /// (%d, %.1f, %.2f, %.1f, %.1f); MB is 1024 * 1024 bytes.
    /// </summary>
    public static string FormatWindow(long count, long bytes, double elapsedMs, long totalLatencyMicros, long maxLatencyMicros) =>
        string.Format(CultureInfo.InvariantCulture, "{0} records sent, {1:F1} records/sec ({2:F2} MB/sec), {3:F1} ms avg latency, {4:F1} ms max latency.",
            count, 1000.0 * count / elapsedMs, 1000.0 * bytes / elapsedMs / (1024.0 * 1024.0),
            totalLatencyMicros / 1000.0 / count, maxLatencyMicros / 1000.0);

    /// <summary>
    /// `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th,
    /// P999 ms 99.9th.` with Kafka's precision (%d, %f, %.2f, %.2f, %.2f, then whole milliseconds).
    /// </summary>
    public static string FormatTotal(long count, long bytes, double elapsedMs, long totalLatencyMicros, long maxLatencyMicros, int[] percentileMicros) =>
        string.Format(CultureInfo.InvariantCulture,
            "{0} records sent, {1:F6} records/sec ({2:F2} MB/sec), {3:F2} ms avg latency, {4:F2} ms max latency, {5} ms 50th, {6} ms 95th, {7} ms 99th, {8} ms 99.9th.",
            count, 1000.0 * count / elapsedMs, 1000.0 * bytes / elapsedMs / (1024.0 * 1024.0),
            totalLatencyMicros / 1000.0 / count, maxLatencyMicros / 1000.0,
            percentileMicros[0] / 1000, percentileMicros[1] / 1000, percentileMicros[2] / 1000, percentileMicros[3] / 1000);

    /// <summary>
    /// Kafka's percentiles: sorts the first <paramref name="count"/> samples in place and takes the one at
    /// floor(p * count) for each p (no interpolation).
    /// </summary>
    public static int[] Percentiles(int[] samples, int count, params double[] percentiles)
    {
        int size = Math.Min(count, samples.Length);
        Array.Sort(samples, 0, size);
        var values = new int[percentiles.Length];
        for (int i = 0; i < percentiles.Length; i++)
        {
            int index = Math.Min((int)(percentiles[i] * size), Math.Max(size - 1, 0));
            values[i] = size == 0 ? 0 : samples[index];
        }
        return values;
    }
}
