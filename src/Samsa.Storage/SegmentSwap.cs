using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// The file steps of replacing segments by a cleaned one, and their recovery at start-up (the protocol is described
/// in <see cref="LogCleaner"/>). A segment's files are <c>&lt;base:D20&gt;</c> plus one of
/// <see cref="SegmentFileSuffixes"/>; a temporary file of the swap adds <see cref="CleanedSuffix"/>,
/// <see cref="SwapSuffix"/> or <see cref="DeletedSuffix"/> to that name. Thread-safety: stateless; callers serialize
/// the steps on one partition directory (the cleaner thread, then the log's writer lock, or <see cref="PartitionLog.Open"/>).
/// </summary>
internal static partial class SegmentSwap
{
    public const string CleanedSuffix = ".cleaned";
    public const string SwapSuffix = ".swap";
    public const string DeletedSuffix = ".deleted";

    /// <summary>The files a segment may have; the log file must come first (it is renamed last in a swap).</summary>
    public static readonly string[] SegmentFileSuffixes = [LogSegment.LogFileSuffix, OffsetIndex.FileSuffix, TimeIndex.FileSuffix, ".txnindex"];

    /// <summary>
    /// Called with the partition directory after every file step of a swap (each rename, each fsync of the cleaned
    /// files); tests use it to capture the files as a crash at that moment would leave them.
    /// </summary>
    internal static Action<string, string>? StepCompleted { get; set; }

    /// <summary><c>&lt;base&gt;&lt;fileSuffix&gt;&lt;stage&gt;</c> in <paramref name="directory"/>; an empty stage is the live file.</summary>
    public static string PathOf(string directory, long baseOffset, string fileSuffix, string stage = "") =>
        Path.Combine(directory, LogSegment.FileName(baseOffset, fileSuffix) + stage);

    /// <summary>Renames every <c>.cleaned</c> file of segment <paramref name="baseOffset"/> to <c>.swap</c>, the log file last.</summary>
    public static void RenameCleanedToSwap(string directory, long baseOffset)
    {
        for (int i = SegmentFileSuffixes.Length - 1; i >= 0; i--)
        {
            MoveIfExists(PathOf(directory, baseOffset, SegmentFileSuffixes[i], CleanedSuffix), PathOf(directory, baseOffset, SegmentFileSuffixes[i], SwapSuffix));
        }

        SyncDirectory(directory);
    }

    /// <summary>Renames the live files of segment <paramref name="baseOffset"/> to <c>.deleted</c>, the log file first.</summary>
    public static void RenameLiveToDeleted(string directory, long baseOffset)
    {
        foreach (string suffix in SegmentFileSuffixes)
        {
            MoveIfExists(PathOf(directory, baseOffset, suffix), PathOf(directory, baseOffset, suffix, DeletedSuffix));
        }
    }

    /// <summary>Renames the <c>.swap</c> files of segment <paramref name="baseOffset"/> to live names, the log file last.</summary>
    public static void RenameSwapToLive(string directory, long baseOffset)
    {
        for (int i = SegmentFileSuffixes.Length - 1; i >= 0; i--)
        {
            MoveIfExists(PathOf(directory, baseOffset, SegmentFileSuffixes[i], SwapSuffix), PathOf(directory, baseOffset, SegmentFileSuffixes[i]));
        }

        SyncDirectory(directory);
    }

    /// <summary>Deletes the files of segment <paramref name="baseOffset"/> at stage <paramref name="stage"/>.</summary>
    public static void DeleteFiles(string directory, long baseOffset, string stage)
    {
        foreach (string suffix in SegmentFileSuffixes)
        {
            File.Delete(PathOf(directory, baseOffset, suffix, stage));
        }
    }

    /// <summary>
    /// Start-up: deletes <c>.cleaned</c> and <c>.deleted</c> files and <c>.swap</c> files with no log swap, then completes
    /// every log swap: the swap segment replaces each segment whose base offset lies in
    /// [swap base, max(swap base + 1, the swap's next offset)), and its files take their live names.
    /// Runs before the segments are opened.
    /// </summary>
    public static void RecoverInterruptedSwaps(string directory, string partitionName, ILogger logger)
    {
        var logSwaps = new List<long>();
        var otherSwaps = new List<(string Path, long BaseOffset)>();
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(CleanedSuffix, StringComparison.Ordinal) || name.EndsWith(DeletedSuffix, StringComparison.Ordinal))
            {
                if (TryParseStagedName(name, out _, out _))
                {
                    File.Delete(path);
                }
            }
            else if (name.EndsWith(SwapSuffix, StringComparison.Ordinal) && TryParseStagedName(name, out long baseOffset, out string suffix))
            {
                if (suffix == LogSegment.LogFileSuffix)
                {
                    logSwaps.Add(baseOffset);
                }
                else
                {
                    otherSwaps.Add((path, baseOffset));
                }
            }
        }

        foreach ((string path, long baseOffset) in otherSwaps)
        {
            if (!logSwaps.Contains(baseOffset))
            {
                File.Delete(path);
            }
        }

        if (logSwaps.Count == 0)
        {
            return;
        }

        logSwaps.Sort();
        var liveBases = new List<long>();
        foreach (string path in Directory.EnumerateFiles(directory, "*" + LogSegment.LogFileSuffix))
        {
            if (LogSegment.TryParseFileName(Path.GetFileName(path), LogSegment.LogFileSuffix, out long baseOffset))
            {
                liveBases.Add(baseOffset);
            }
        }

        foreach (long swapBase in logSwaps)
        {
            long next = ScanNextOffset(PathOf(directory, swapBase, LogSegment.LogFileSuffix, SwapSuffix), swapBase);
            long coverEnd = Math.Max(swapBase + 1, next);
            int replaced = 0;
            foreach (long live in liveBases)
            {
                if (live >= swapBase && live < coverEnd)
                {
                    DeleteFiles(directory, live, string.Empty);
                    replaced++;
                }
            }

            // Index files of the swap base that are not part of the swap may belong to the replaced segment.
            foreach (string suffix in SegmentFileSuffixes)
            {
                if (!File.Exists(PathOf(directory, swapBase, suffix, SwapSuffix)))
                {
                    File.Delete(PathOf(directory, swapBase, suffix));
                }
            }

            RenameSwapToLive(directory, swapBase);
            CleanerLog.CompletedSwap(logger, partitionName, swapBase, next, replaced);
        }
    }

    /// <summary>Makes renames in <paramref name="directory"/> durable (fsync of the directory).</summary>
    public static void SyncDirectory(string directory) => DirectorySync.Sync(directory);

    /// <summary>Parses <c>&lt;20 digits&gt;&lt;segment suffix&gt;&lt;stage&gt;</c>.</summary>
    private static bool TryParseStagedName(string name, out long baseOffset, out string suffix)
    {
        int stage = name.LastIndexOf('.');
        string live = stage > 0 ? name[..stage] : name;
        foreach (string candidate in SegmentFileSuffixes)
        {
            if (LogSegment.TryParseFileName(live, candidate, out baseOffset))
            {
                suffix = candidate;
                return true;
            }
        }

        baseOffset = 0;
        suffix = string.Empty;
        return false;
    }

    /// <summary>The offset after the last whole batch of the file (its base offset when it has none).</summary>
    private static long ScanNextOffset(string path, long baseOffset)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        long size = RandomAccess.GetLength(handle);
        long position = 0;
        long next = baseOffset;
        Span<byte> header = stackalloc byte[RecordBatchHeader.LastOffsetDeltaOffset + 4];
        while (size - position >= RecordBatchHeader.HeaderSize)
        {
            if (RandomAccess.Read(handle, header, position) < header.Length)
            {
                break;
            }

            long batchBase = BinaryPrimitives.ReadInt64BigEndian(header);
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..]);
            int lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaOffset..]);
            if (batchLength < RecordBatchHeader.MinBatchLength || batchLength > size - position - RecordBatchHeader.LogOverhead || lastOffsetDelta < 0)
            {
                break;
            }

            next = batchBase + lastOffsetDelta + 1;
            position += RecordBatchHeader.LogOverhead + (long)batchLength;
        }

        return next;
    }

    /// <summary>Reports a finished step to <see cref="StepCompleted"/>.</summary>
    internal static void Completed(string directory, string step) => StepCompleted?.Invoke(directory, step);

    private static void MoveIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Move(from, to, overwrite: true);
            Completed(Path.GetDirectoryName(to)!, "renamed " + Path.GetFileName(from) + " to " + Path.GetFileName(to));
        }
    }
}
