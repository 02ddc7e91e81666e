using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Benchmarks;

/// <summary>
/// <c>append</c> mode: <see cref="PartitionLog.Append"/> against a plain sequential file write of the same bytes, in
/// the same chunk sizes, to the same directory, in the same process and run. For every case (record size x batch
/// size) and repetition it writes <c>--gib</c> GiB of one validated batch appended over and over through a
/// <see cref="PartitionLog"/> (segment.bytes 1 GiB, so it rolls once per GiB, and a roll fsyncs the old segment as the
/// broker does), and the same bytes with <see cref="RandomAccess.Write(SafeFileHandle, ReadOnlySpan{byte}, long)"/>
/// at increasing positions of one file. The two are written in alternating slices (<c>--slice-mib</c>) so that the
/// noise of a shared machine falls on both alike. Neither side fsyncs its data unless <c>--fsync end</c>, which adds
/// one fsync of everything at the end of both (inside the timing). Both are deleted unflushed after each run. Prints
/// one line per run and a table of medians with the ratio log/file (the target is at least 0.70).
/// </summary>
internal static class AppendPerf
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly TopicPartition Partition = new("append-bench", 0);

    private sealed record Options(double GiBs, int Reps, string Directory, bool FsyncAtEnd, long SliceBytes, List<(int RecordSize, int BatchBytes)> Cases);

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } options)
        {
            Console.Error.WriteLine(
                "usage: append [--gib 2] [--reps 3] [--dir DIR] [--fsync none|end] [--slice-mib 64] [--cases 100:16384,100:1048576,1024:16384,1024:1048576]");
            return 2;
        }

        long totalBytes = (long)(options.GiBs * GiB);
        string root = Path.Combine(options.Directory, "samsa-append-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(root);
        Console.WriteLine(
            $"append: {options.GiBs} GiB per run, {options.Reps} repetitions, in {root}, fsync {(options.FsyncAtEnd ? "once at the end of both" : "in neither (page cache)")}");
        var results = new List<(int RecordSize, int BatchBytes, double LogMBps, double FileMBps, double LogSeconds, double FileSeconds, double RollSeconds)>();
        try
        {
            for (int rep = 1; rep <= options.Reps; rep++)
            {
                foreach (var (recordSize, batchBytes) in options.Cases)
                {
                    byte[] batch = BenchmarkBatches.Build(batchBytes, recordSize);
                    long appends = Math.Max(1, totalBytes / batch.Length);
                    var (log, file, rolls) = WriteBoth(root, batch, appends, options.SliceBytes, options.FsyncAtEnd);
                    double bytes = (double)appends * batch.Length;
                    double logMBps = bytes / log / 1e6, fileMBps = bytes / file / 1e6;
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"run {rep} records {recordSize,5} B batches {batch.Length,8} B x {appends,7}: log {logMBps,7:F0} MB/s ({log:F2} s, of which roll {rolls:F2} s)  file {fileMBps,7:F0} MB/s ({file:F2} s)  log/file {logMBps / fileMBps:F2}"));
                    results.Add((recordSize, batchBytes, logMBps, fileMBps, log, file, rolls));
                }
            }
        }
        finally
        {
            System.IO.Directory.Delete(root, recursive: true);
        }

        Console.WriteLine();
        // Without fsync the roll's fsync of the old segment is the one thing the plain write does not do; the last
        // column shows the ratio with the appends that rolled left out.
        Console.WriteLine("medians           log MB/s   file MB/s   log/file   (min..max of log/file)   roll s" + (options.FsyncAtEnd ? "" : "   log/file without the rolls"));
        foreach (var (recordSize, batchBytes) in options.Cases)
        {
            var runs = results.Where(r => r.RecordSize == recordSize && r.BatchBytes == batchBytes).ToList();
            var ratios = runs.Select(r => r.LogMBps / r.FileMBps).ToList();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{recordSize,5} B / {batchBytes,7} B {Median(runs.Select(r => r.LogMBps)),10:F0} {Median(runs.Select(r => r.FileMBps)),11:F0} {Median(ratios),10:F2}   ({ratios.Min():F2}..{ratios.Max():F2}) {Median(runs.Select(r => r.RollSeconds)),18:F2}{(options.FsyncAtEnd ? "" : $"{Median(runs.Select(r => r.FileSeconds / (r.LogSeconds - r.RollSeconds))),14:F2}")}"));
        }

        return 0;
    }

    /// <summary>
    /// Writes <paramref name="appends"/> copies of <paramref name="batch"/> through a fresh log and into a fresh plain
    /// file, alternating slices of about <paramref name="sliceBytes"/> between the two (each slice pair in the other
    /// order), so that both see the same machine: the same other load, the same page-cache state, the same background
    /// writeback. Returns the seconds each spent and the part of the log's spent in appends that rolled a segment.
    /// Both are deleted unflushed afterwards.
    /// </summary>
    private static (double LogSeconds, double FileSeconds, double RollSeconds) WriteBoth(
        string root, byte[] batch, long appends, long sliceBytes, bool fsyncAtEnd)
    {
        string logDir = Path.Combine(root, "log");
        string path = Path.Combine(root, "plain.bin");
        var config = LogConfig.Default with { SegmentBytes = (int)GiB };
        var logManager = new LogManager([logDir], config);
        SafeFileHandle? handle = null;
        try
        {
            logManager.LoadLogs();
            PartitionLog log = logManager.GetOrCreateLog(Partition);
            handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
            long perSlice = Math.Max(1, sliceBytes / batch.Length);
            long logWritten = 0, fileWritten = 0, filePosition = 0;
            long logTicks = 0, fileTicks = 0, rollTicks = 0;
            for (int slice = 0; logWritten < appends; slice++)
            {
                long count = Math.Min(perSlice, appends - logWritten);
                for (int side = 0; side < 2; side++)
                {
                    long start = Stopwatch.GetTimestamp();
                    if ((side == 0) == (slice % 2 == 0))
                    {
                        for (long i = 0; i < count; i++)
                        {
                            int segments = log.SegmentCount;
                            long before = Stopwatch.GetTimestamp();
                            log.Append(batch, leaderEpoch: 0);
                            if (log.SegmentCount != segments)
                            {
                                rollTicks += Stopwatch.GetTimestamp() - before;
                            }
                        }

                        logWritten += count;
                        logTicks += Stopwatch.GetTimestamp() - start;
                    }
                    else
                    {
                        for (long i = 0; i < count; i++)
                        {
                            RandomAccess.Write(handle, batch, filePosition);
                            filePosition += batch.Length;
                        }

                        fileWritten += count;
                        fileTicks += Stopwatch.GetTimestamp() - start;
                    }
                }
            }

            if (fsyncAtEnd)
            {
                long start = Stopwatch.GetTimestamp();
                log.Flush();
                logTicks += Stopwatch.GetTimestamp() - start;
                start = Stopwatch.GetTimestamp();
                RandomAccess.FlushToDisk(handle);
                fileTicks += Stopwatch.GetTimestamp() - start;
            }

            logManager.DeleteLog(Partition);
            double f = Stopwatch.Frequency;
            return (logTicks / f, fileTicks / f, rollTicks / f);
        }
        finally
        {
            handle?.Dispose();
            File.Delete(path);
            logManager.Dispose();
            System.IO.Directory.Delete(logDir, recursive: true);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static Options? Parse(string[] args)
    {
        double gibs = 2;
        int reps = 3;
        string directory = Path.GetTempPath();
        bool fsyncAtEnd = false;
        int sliceMiB = 64;
        var cases = new List<(int, int)> { (100, 16 * 1024), (100, 1024 * 1024), (1024, 16 * 1024), (1024, 1024 * 1024) };
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            bool ok = args[i] switch
            {
                "--gib" => double.TryParse(value, CultureInfo.InvariantCulture, out gibs) && gibs > 0,
                "--reps" => int.TryParse(value, CultureInfo.InvariantCulture, out reps) && reps > 0,
                "--dir" => (directory = value).Length > 0,
                "--fsync" => value is "none" or "end",
                "--slice-mib" => int.TryParse(value, CultureInfo.InvariantCulture, out sliceMiB) && sliceMiB > 0,
                "--cases" => ParseCases(value, cases),
                _ => false,
            };
            if (!ok)
            {
                return null;
            }

            if (args[i] == "--fsync")
            {
                fsyncAtEnd = value == "end";
            }
        }

        if (args.Length % 2 != 0)
        {
            return null;
        }

        return new Options(gibs, reps, directory, fsyncAtEnd, sliceMiB * 1024L * 1024, cases);
    }

    private static bool ParseCases(string value, List<(int, int)> cases)
    {
        cases.Clear();
        foreach (string item in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = item.Split(':');
            if (parts.Length != 2
                || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int recordSize) || recordSize <= 0
                || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int batchBytes) || batchBytes < recordSize + 100)
            {
                return false;
            }

            cases.Add((recordSize, batchBytes));
        }

        return cases.Count > 0;
    }
}
