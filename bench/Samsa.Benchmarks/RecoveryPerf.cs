using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Benchmarks;

/// <summary>
/// <c>recovery</c> mode: how long a log takes to recover after kill -9. Each repetition starts this program again as a
/// child (<c>recovery-writer</c>) that appends <c>--gib</c> GiB of validated batches to one partition through a
/// <see cref="LogManager"/> with the broker's defaults (segment.bytes 1 GiB, no flush, no checkpoint: what a running
/// broker has between its background tasks), prints its log end offset and waits; the parent kills it with SIGKILL,
/// optionally cuts <c>--tear</c> bytes off the newest segment (a torn write), optionally writes everything back and
/// drops the page cache (<c>--cold</c>, needs root), and then times <see cref="LogManager.LoadLogs"/> on the
/// directory: with no clean-shutdown marker and no recovery-point checkpoint, every segment is checked (CRC, lengths,
/// offsets) and its indexes rebuilt. Prints the recovery line the log writes, the seconds and GiB/s, and checks the
/// recovered log end offset against the child's.
/// </summary>
internal static class RecoveryPerf
{
    private const long GiB = 1024L * 1024 * 1024;
    private const string WrittenPrefix = "written ";
    private static readonly TopicPartition Partition = new("recovery-bench", 0);

    public static int Run(string[] args)
    {
        double gibs = 1;
        int reps = 3, recordSize = 1024, batchBytes = 16 * 1024, tear = 0;
        string directory = Path.GetTempPath();
        bool cold = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--cold")
            {
                cold = true;
                continue;
            }

            string? value = i + 1 < args.Length ? args[++i] : null;
            bool ok = args[i - 1] switch
            {
                "--gib" => double.TryParse(value, CultureInfo.InvariantCulture, out gibs) && gibs > 0,
                "--reps" => int.TryParse(value, CultureInfo.InvariantCulture, out reps) && reps > 0,
                "--record-size" => int.TryParse(value, CultureInfo.InvariantCulture, out recordSize) && recordSize > 0,
                "--batch-bytes" => int.TryParse(value, CultureInfo.InvariantCulture, out batchBytes) && batchBytes > 1024,
                "--tear" => int.TryParse(value, CultureInfo.InvariantCulture, out tear) && tear >= 0,
                "--dir" => !string.IsNullOrEmpty(value),
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine(
                    "usage: recovery [--gib 1] [--reps 3] [--record-size 1024] [--batch-bytes 16384] [--tear 0] [--cold] [--dir DIR]");
                return 2;
            }

            if (args[i - 1] == "--dir")
            {
                directory = value!;
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"recovery: {gibs} GiB of {recordSize} B records in {batchBytes} B batches, killed with SIGKILL, {(tear > 0 ? $"{tear} bytes torn off the tail, " : "")}{(cold ? "cold page cache" : "page cache warm (a process crash, not a machine crash)")}"));
        var logger = new ConsoleLogger();
        var seconds = new List<double>();
        for (int rep = 1; rep <= reps; rep++)
        {
            string root = Path.Combine(directory, "samsa-recovery-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                long expectedEnd = WriteAndKill(root, gibs, recordSize, batchBytes);
                string partitionDir = Path.Combine(root, LogManager.DirectoryName(Partition));
                long bytes = Directory.EnumerateFiles(partitionDir, "*.log").Sum(f => new FileInfo(f).Length);
                if (tear > 0)
                {
                    string newest = Directory.EnumerateFiles(partitionDir, "*.log").Order(StringComparer.Ordinal).Last();
                    using var stream = new FileStream(newest, FileMode.Open, FileAccess.Write);
                    stream.SetLength(Math.Max(0, stream.Length - tear));
                }

                if (cold)
                {
                    DropPageCache();
                }

                var stopwatch = Stopwatch.StartNew();
                using (var logManager = new LogManager([root], LogConfig.Default, logger))
                {
                    logManager.LoadLogs();
                    stopwatch.Stop();
                    long end = logManager.GetLog(Partition)?.LogEndOffset ?? -1;
                    string check = tear == 0
                        ? end == expectedEnd ? "log end offset as written" : $"LOG END OFFSET {end}, EXPECTED {expectedEnd}"
                        : end < expectedEnd ? $"log end offset {end} (torn batch dropped)" : $"LOG END OFFSET {end} NOT BELOW {expectedEnd}";
                    double s = stopwatch.Elapsed.TotalSeconds;
                    seconds.Add(s);
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"run {rep}: recovered {bytes / (double)GiB:F2} GiB ({expectedEnd} records) in {s:F2} s, {bytes / (double)GiB / s:F2} GiB/s; {check}"));
                }
            }
            finally
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        }

        var sorted = seconds.Order().ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"median {sorted[sorted.Count / 2]:F2} s (min {sorted[0]:F2}, max {sorted[^1]:F2}); target at most 5 s for 1 GiB"));
        return 0;
    }

    /// <summary>The child: appends until <c>--gib</c> GiB are written, prints the log end offset and waits to be killed.</summary>
    public static int RunWriter(string[] args)
    {
        string root = args[0];
        double gibs = double.Parse(args[1], CultureInfo.InvariantCulture);
        int recordSize = int.Parse(args[2], CultureInfo.InvariantCulture);
        int batchBytes = int.Parse(args[3], CultureInfo.InvariantCulture);
        byte[] batch = BenchmarkBatches.Build(batchBytes, recordSize);
        var logManager = new LogManager([root], LogConfig.Default);
        logManager.LoadLogs();
        PartitionLog log = logManager.GetOrCreateLog(Partition);
        long appends = Math.Max(1, (long)(gibs * GiB) / batch.Length);
        for (long i = 0; i < appends; i++)
        {
            log.Append(batch, leaderEpoch: 0);
        }

        Console.Out.WriteLine(WrittenPrefix + log.LogEndOffset.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(logManager);
        return 0;
    }

    private static long WriteAndKill(string root, double gibs, int recordSize, int batchBytes)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(RecoveryPerf).Assembly.Location);
        }

        foreach (string argument in (string[])["recovery-writer", root, gibs.ToString(CultureInfo.InvariantCulture),
                     recordSize.ToString(CultureInfo.InvariantCulture), batchBytes.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the writer");
        try
        {
            string? line = child.StandardOutput.ReadLine();
            if (line is null || !line.StartsWith(WrittenPrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the writer printed '{line}' instead of '{WrittenPrefix}<offset>'");
            }

            return long.Parse(line.AsSpan(WrittenPrefix.Length), CultureInfo.InvariantCulture);
        }
        finally
        {
            // SIGKILL on Unix: no shutdown hook runs, nothing is flushed or checkpointed.
            child.Kill();
            child.WaitForExit();
        }
    }

    /// <summary>Writes all dirty pages back and drops the page cache, so recovery reads from the disk.</summary>
    private static void DropPageCache()
    {
        using (var sync = Process.Start("sync"))
        {
            sync.WaitForExit();
        }

        File.WriteAllText("/proc/sys/vm/drop_caches", "3");
    }

    /// <summary>Prints the storage layer's log lines (recovery reports) to the console.</summary>
    private sealed class ConsoleLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine($"  [{logLevel}] {formatter(state, exception)}");
            }
        }
    }
}
