using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Cli.Commands;

/// <summary>
/// `samsa dump-log`: kafka-dump-log for segment files. A <c>.log</c> prints one line per batch (and, with
/// --print-data-log, one per record); a <c>.index</c> or <c>.timeindex</c> prints its entries and checks them against
/// the <c>.log</c> next to it. Damage (a torn tail, a bad length, magic or CRC, offsets going backwards, index entries
/// that do not point at batches) is reported as a line starting with "CORRUPT" naming the position and the reason,
/// and makes the exit code 1. A <c>.txnindex</c> prints its aborted transactions and a producer-state <c>.snapshot</c>
/// its producers (a damaged snapshot is CORRUPT). Reads the files only; works on a stopped broker's directory or a copy.
/// </summary>
internal static class DumpLogCommand
{
    public const string Usage = """
        Usage: samsa dump-log <file> [<file> ...] [--print-data-log] [--verify-index-only]

          <file>                 a segment file: NNNNNNNNNNNNNNNNNNNN.log, .index, .timeindex or .txnindex,
                                 or a producer-state .snapshot
          --print-data-log       also print every record of a .log (offset, timestamp, key, value, headers)
          --verify-index-only    for index files, print only the problems found, not every entry

        Exit code: 0 when nothing is damaged, 1 when corruption was found, 2 for a usage error.
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--print-data-log", "--verify-index-only" };

    public static int Run(string[] args, TextWriter output)
    {
        var options = new Arguments(args, Flags);
        bool printData = options.Has("--print-data-log");
        bool verifyOnly = options.Has("--verify-index-only");
        options.RejectUnknown();
        if (options.Positional.Count == 0)
        {
            throw new UsageException("give at least one segment file");
        }

        bool corrupt = false;
        foreach (string path in options.Positional)
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"no such file: {path}");
            }

            output.WriteLine($"Dumping {path}");
            var report = new Report(output);
            if (path.EndsWith(LogSegment.LogFileSuffix, StringComparison.Ordinal))
            {
                DumpLog(path, printData, report);
            }
            else if (path.EndsWith(TimeIndex.FileSuffix, StringComparison.Ordinal))
            {
                DumpTimeIndex(path, verifyOnly, report);
            }
            else if (path.EndsWith(OffsetIndex.FileSuffix, StringComparison.Ordinal))
            {
                DumpOffsetIndex(path, verifyOnly, report);
            }
            else if (path.EndsWith(TransactionIndex.FileSuffix, StringComparison.Ordinal))
            {
                DumpTxnIndex(path, report);
            }
            else if (path.EndsWith(ProducerStateManager.SnapshotFileSuffix, StringComparison.Ordinal))
            {
                DumpSnapshot(path, report);
            }
            else
            {
                throw new UsageException($"{path} is not a .log, .index, .timeindex, .txnindex or .snapshot file");
            }

            corrupt |= report.Corrupt;
        }

        return corrupt ? 1 : 0;
    }

    private static void DumpTxnIndex(string path, Report report)
    {
        long baseOffset = BaseOffsetOf(path, TransactionIndex.FileSuffix);
        using var index = TransactionIndex.Load(Path.GetDirectoryName(Path.GetFullPath(path))!, baseOffset);
        foreach (AbortedTxn aborted in index.Entries)
        {
            report.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"version: 0 producerId: {aborted.ProducerId} firstOffset: {aborted.FirstOffset} lastOffset: {aborted.LastOffset} lastStableOffset: {aborted.LastStableOffset}"));
        }

        if (new FileInfo(path).Length % TransactionIndex.EntrySize != 0)
        {
            report.Corruption((long)index.Entries.Length * TransactionIndex.EntrySize, "a torn last entry");
        }
    }

    private static void DumpSnapshot(string path, Report report)
    {
        var producers = ProducerStateManager.ReadSnapshotFile(path);
        if (producers is null)
        {
            report.Corruption(0, "the snapshot's version, CRC or lengths are wrong");
            return;
        }

        foreach (ProducerStateEntry entry in producers.Values.OrderBy(e => e.ProducerId))
        {
            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture,
                $"producerId: {entry.ProducerId} producerEpoch: {entry.ProducerEpoch} coordinatorEpoch: {entry.CoordinatorEpoch} lastTimestamp: {entry.LastTimestamp} currentTxnFirstOffset: {entry.CurrentTxnFirstOffset} lastOffset: {entry.LastOffset}");
            for (int i = 0; i < entry.BatchCount; i++)
            {
                ProducerBatch batch = entry.Batch(i);
                line.Append(CultureInfo.InvariantCulture, $" batch: [seq {batch.FirstSequence}-{batch.LastSequence} offsets {batch.FirstOffset}-{batch.LastOffset}]");
            }

            report.Output.WriteLine(line.ToString());
        }
    }

    private static void DumpLog(string path, bool printData, Report report)
    {
        TextWriter output = report.Output;
        long baseOffset = BaseOffsetOf(path, LogSegment.LogFileSuffix);
        output.WriteLine($"Log starting offset: {baseOffset}");
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long expectedNext = baseOffset;
        foreach (LogBatch batch in ReadBatches(handle, report))
        {
            RecordBatchHeader header = batch.Header;
            bool crcValid = RecordBatch.IsCrcValid(batch.Bytes.Span);
            output.WriteLine(BatchLine(batch.Position, header, crcValid));
            if (!crcValid)
            {
                report.Corruption(batch.Position, $"the CRC does not match the batch (stored {header.Crc}, computed {RecordBatch.ComputeCrc(batch.Bytes.Span)})");
            }

            if (header.BaseOffset < expectedNext)
            {
                report.Corruption(batch.Position, $"baseOffset {header.BaseOffset} is below the offset expected after the previous batch ({expectedNext})");
            }

            expectedNext = Math.Max(expectedNext, header.NextOffset);
            if (printData)
            {
                PrintRecords(batch, report);
            }
        }
    }

    private static string BatchLine(long position, in RecordBatchHeader header, bool crcValid)
    {
        int lastSequence = header.BaseSequence < 0 ? -1 : header.BaseSequence + header.LastOffsetDelta;
        return string.Create(CultureInfo.InvariantCulture,
            $"baseOffset: {header.BaseOffset} lastOffset: {header.LastOffset} count: {header.RecordsCount} " +
            $"baseSequence: {header.BaseSequence} lastSequence: {lastSequence} producerId: {header.ProducerId} " +
            $"producerEpoch: {header.ProducerEpoch} partitionLeaderEpoch: {header.PartitionLeaderEpoch} " +
            $"isTransactional: {Bool(header.IsTransactional)} isControl: {Bool(header.IsControl)} " +
            $"position: {position} {header.TimestampType}: {header.MaxTimestamp} size: {header.TotalSize} " +
            $"magic: {header.Magic} compresscodec: {Codec(header.Compression)} crc: {header.Crc} isvalid: {Bool(crcValid)}");
    }

    private static void PrintRecords(LogBatch batch, Report report)
    {
        RecordBatchHeader header = batch.Header;
        try
        {
            ReadOnlySpan<byte> records = header.Compression == CompressionType.None
                ? batch.Bytes.Span
                : RecordBatchCompression.Decompress(batch.Bytes);
            int count = 0;
            foreach (Record record in RecordReader.FromBatch(records))
            {
                count++;
                long timestamp = header.TimestampType == TimestampType.LogAppendTime
                    ? header.MaxTimestamp
                    : header.BaseTimestamp + record.TimestampDelta;
                int sequence = header.BaseSequence < 0 ? -1 : header.BaseSequence + record.OffsetDelta;
                var line = new StringBuilder();
                line.Append(CultureInfo.InvariantCulture,
                    $"| offset: {header.BaseOffset + record.OffsetDelta} {header.TimestampType}: {timestamp} ");
                line.Append(CultureInfo.InvariantCulture,
                    $"keySize: {(record.IsKeyNull ? -1 : record.Key.Length)} valueSize: {(record.IsValueNull ? -1 : record.Value.Length)} sequence: {sequence}");
                if (header.IsControl)
                {
                    line.Append(' ').Append(ControlRecord(record));
                }
                else
                {
                    line.Append(" headers: [");
                    bool first = true;
                    foreach (RecordHeaderView recordHeader in record.Headers)
                    {
                        line.Append(first ? "" : ", ").Append(Text(recordHeader.Key)).Append('=')
                            .Append(recordHeader.IsValueNull ? "null" : Text(recordHeader.Value));
                        first = false;
                    }

                    line.Append("] key: ").Append(record.IsKeyNull ? "null" : Text(record.Key));
                    line.Append(" payload: ").Append(record.IsValueNull ? "null" : Text(record.Value));
                }

                report.Output.WriteLine(line.ToString());
            }

            if (count != header.RecordsCount)
            {
                report.Corruption(batch.Position, $"the batch says it holds {header.RecordsCount} records but holds {count}");
            }
        }
        catch (Exception ex) when (ex is InvalidRecordException or InvalidDataException or ArgumentException or NotSupportedException or DllNotFoundException)
        {
            report.Corruption(batch.Position, $"the records of the batch cannot be read: {ex.Message}");
        }
    }

    /// <summary>An end-transaction marker: key (version, type 0 abort / 1 commit), value (version, coordinator epoch).</summary>
    private static string ControlRecord(in Record record)
    {
        if (record.Key.Length < 4)
        {
            return "control record with an unreadable key";
        }

        short type = BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]);
        string marker = type switch { 0 => "ABORT", 1 => "COMMIT", _ => "type " + type };
        string epoch = record.Value.Length >= 6
            ? BinaryPrimitives.ReadInt32BigEndian(record.Value[2..]).ToString(CultureInfo.InvariantCulture)
            : "?";
        return $"endTxnMarker: {marker} coordinatorEpoch: {epoch}";
    }

    private static void DumpOffsetIndex(string path, bool verifyOnly, Report report)
    {
        long baseOffset = BaseOffsetOf(path, OffsetIndex.FileSuffix);
        List<LogBatch>? batches = ReadSiblingLog(path, OffsetIndex.FileSuffix, report);
        Dictionary<long, RecordBatchHeader>? byPosition = batches?.ToDictionary(b => b.Position, b => b.Header);
        byte[] bytes = File.ReadAllBytes(path);
        int entries = CountEntries(bytes, OffsetIndex.EntrySize, path, report);
        long previousOffset = -1;
        int previousPosition = -1;
        for (int i = 0; i < entries; i++)
        {
            ReadOnlySpan<byte> slot = bytes.AsSpan(i * OffsetIndex.EntrySize, OffsetIndex.EntrySize);
            long offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(slot);
            int position = BinaryPrimitives.ReadInt32BigEndian(slot[4..]);
            if (!verifyOnly)
            {
                report.Output.WriteLine($"offset: {offset} position: {position}");
            }

            long at = (long)i * OffsetIndex.EntrySize;
            if (offset <= previousOffset || position <= previousPosition)
            {
                report.Corruption(at, $"entry ({offset}, {position}) is not after the previous entry ({previousOffset}, {previousPosition})", "index position");
            }

            if (byPosition is not null)
            {
                if (!byPosition.TryGetValue(position, out RecordBatchHeader header))
                {
                    report.Corruption(at, $"entry ({offset}, {position}) points at log position {position}, where no batch starts", "index position");
                }
                else if (header.BaseOffset != offset)
                {
                    report.Corruption(at, $"entry ({offset}, {position}) points at the batch with baseOffset {header.BaseOffset}", "index position");
                }
            }

            previousOffset = offset;
            previousPosition = position;
        }

        report.Output.WriteLine($"{entries} entries{Checked(batches)}");
    }

    private static void DumpTimeIndex(string path, bool verifyOnly, Report report)
    {
        long baseOffset = BaseOffsetOf(path, TimeIndex.FileSuffix);
        List<LogBatch>? batches = ReadSiblingLog(path, TimeIndex.FileSuffix, report);
        TimeIndexCheck? check = batches is null ? null : new TimeIndexCheck(batches);
        byte[] bytes = File.ReadAllBytes(path);
        int entries = CountEntries(bytes, TimeIndex.EntrySize, path, report);
        long previousTimestamp = long.MinValue;
        long previousOffset = long.MinValue;
        for (int i = 0; i < entries; i++)
        {
            ReadOnlySpan<byte> slot = bytes.AsSpan(i * TimeIndex.EntrySize, TimeIndex.EntrySize);
            long timestamp = BinaryPrimitives.ReadInt64BigEndian(slot);
            long offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(slot[8..]);
            if (!verifyOnly)
            {
                report.Output.WriteLine($"timestamp: {timestamp} offset: {offset}");
            }

            long at = (long)i * TimeIndex.EntrySize;
            if (timestamp <= previousTimestamp || offset < previousOffset)
            {
                report.Corruption(at, $"entry ({timestamp}, {offset}) is not after the previous entry ({previousTimestamp}, {previousOffset})", "index position");
            }

            check?.Check(timestamp, offset, at, report);

            previousTimestamp = timestamp;
            previousOffset = offset;
        }

        report.Output.WriteLine($"{entries} entries{Checked(batches)}");
    }

    /// <summary>Used entries: the prefix before the first all-zero entry (the rest is preallocated space).</summary>
    private static int CountEntries(byte[] bytes, int entrySize, string path, Report report)
    {
        if (bytes.Length % entrySize != 0)
        {
            report.Corruption(bytes.Length - (bytes.Length % entrySize), $"the file size {bytes.Length} is not a multiple of the {entrySize}-byte entry size", "index position");
        }

        int slots = bytes.Length / entrySize;
        for (int i = 0; i < slots; i++)
        {
            if (bytes.AsSpan(i * entrySize, entrySize).IndexOfAnyExcept((byte)0) < 0)
            {
                if (bytes.AsSpan(i * entrySize).IndexOfAnyExcept((byte)0) >= 0)
                {
                    report.Corruption((long)i * entrySize, $"an empty entry is followed by more entries in {Path.GetFileName(path)}", "index position");
                }

                return i;
            }
        }

        return slots;
    }

    private static List<LogBatch>? ReadSiblingLog(string indexPath, string suffix, Report report)
    {
        string logPath = indexPath[..^suffix.Length] + LogSegment.LogFileSuffix;
        if (!File.Exists(logPath))
        {
            report.Output.WriteLine($"No {Path.GetFileName(logPath)} next to it: entries are not checked against the log");
            return null;
        }

        using SafeFileHandle handle = File.OpenHandle(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var logReport = new Report(TextWriter.Null);
        var batches = new List<LogBatch>();
        foreach (LogBatch batch in ReadBatches(handle, logReport))
        {
            batches.Add(batch with { Bytes = default });
        }

        if (logReport.Corrupt)
        {
            report.Output.WriteLine($"Note: {Path.GetFileName(logPath)} is damaged; dump it to see where. Only its readable batches are used.");
        }

        return batches;
    }

    /// <summary>
    /// The framed batches of a log file in order. Stops at the first place where the framing cannot be trusted
    /// (torn tail, impossible length), reporting it; a batch whose magic is not 2 is reported and skipped.
    /// </summary>
    private static IEnumerable<LogBatch> ReadBatches(SafeFileHandle handle, Report report)
    {
        long fileSize = RandomAccess.GetLength(handle);
        long position = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (position < fileSize)
            {
                long remaining = fileSize - position;
                if (remaining < RecordBatchHeader.HeaderSize)
                {
                    report.Corruption(position, $"torn tail: the last {remaining} bytes are less than a batch header ({RecordBatchHeader.HeaderSize} bytes)");
                    yield break;
                }

                ReadExactly(handle, buffer.AsSpan(0, RecordBatchHeader.HeaderSize), position);
                RecordBatchHeader.TryRead(buffer, out RecordBatchHeader header);
                if (header.BatchLength < RecordBatchHeader.MinBatchLength)
                {
                    report.Corruption(position, $"bad batch length {header.BatchLength} (at least {RecordBatchHeader.MinBatchLength})");
                    yield break;
                }

                if (header.TotalSize > remaining)
                {
                    report.Corruption(position, $"torn tail: the batch needs {header.TotalSize} bytes but only {remaining} remain");
                    yield break;
                }

                if (header.Magic != RecordBatchHeader.CurrentMagic)
                {
                    report.Corruption(position, $"bad magic {header.Magic} (only 2 is supported); skipping {header.TotalSize} bytes");
                    position += header.TotalSize;
                    continue;
                }

                if (header.LastOffsetDelta < 0)
                {
                    report.Corruption(position, $"bad last offset delta {header.LastOffsetDelta}");
                }

                int size = (int)header.TotalSize;
                if (buffer.Length < size)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = [];
                    buffer = ArrayPool<byte>.Shared.Rent(size);
                }

                ReadExactly(handle, buffer.AsSpan(0, size), position);
                yield return new LogBatch(position, header, buffer.AsMemory(0, size));
                position += size;
            }
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long position)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(handle, destination[total..], position + total);
            if (read == 0)
            {
                throw new IOException($"The file ended at {position + total} while reading.");
            }

            total += read;
        }
    }

    private static long BaseOffsetOf(string path, string suffix) =>
        LogSegment.TryParseFileName(Path.GetFileName(path), suffix, out long baseOffset) ? baseOffset : 0;

    private static string Checked(List<LogBatch>? batches) => batches is null ? "" : $", checked against {batches.Count} batches of the log";

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Codec(CompressionType codec) => codec switch
    {
        CompressionType.None => "none",
        CompressionType.Gzip => "gzip",
        CompressionType.Snappy => "snappy",
        CompressionType.Lz4 => "lz4",
        CompressionType.Zstd => "zstd",
        _ => "unknown(" + (int)codec + ")",
    };

    /// <summary>UTF-8 text when every character is printable, else 0x-prefixed hex.</summary>
    private static string Text(ReadOnlySpan<byte> bytes)
    {
        try
        {
            string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            foreach (char c in text)
            {
                if (char.IsControl(c))
                {
                    return "0x" + Convert.ToHexString(bytes);
                }
            }

            return text;
        }
        catch (DecoderFallbackException)
        {
            return "0x" + Convert.ToHexString(bytes);
        }
    }

    /// <summary>One framed batch: its position in the file, its header and its bytes (valid until the next batch is read).</summary>
    private readonly record struct LogBatch(long Position, RecordBatchHeader Header, ReadOnlyMemory<byte> Bytes);

    /// <summary>
    /// Checks time-index entries against the log: an entry (T, O) must name the base offset of a batch whose
    /// MaxTimestamp is T, and every batch before it must have a smaller MaxTimestamp (it is the first to reach T).
    /// </summary>
    private sealed class TimeIndexCheck
    {
        private readonly Dictionary<long, int> _batchByBaseOffset = [];
        private readonly long[] _maxTimestamp;
        private readonly long[] _largestBefore;

        public TimeIndexCheck(List<LogBatch> batches)
        {
            _maxTimestamp = new long[batches.Count];
            _largestBefore = new long[batches.Count];
            long largest = long.MinValue;
            for (int i = 0; i < batches.Count; i++)
            {
                _batchByBaseOffset.TryAdd(batches[i].Header.BaseOffset, i);
                _maxTimestamp[i] = batches[i].Header.MaxTimestamp;
                _largestBefore[i] = largest;
                largest = Math.Max(largest, _maxTimestamp[i]);
            }
        }

        public void Check(long timestamp, long offset, long at, Report report)
        {
            if (!_batchByBaseOffset.TryGetValue(offset, out int i))
            {
                report.Corruption(at, $"entry ({timestamp}, {offset}) names offset {offset}, where no batch of the log starts", "index position");
            }
            else if (_maxTimestamp[i] != timestamp)
            {
                report.Corruption(at, $"entry ({timestamp}, {offset}) names a batch whose max timestamp is {_maxTimestamp[i]}", "index position");
            }
            else if (_largestBefore[i] >= timestamp)
            {
                report.Corruption(at, $"entry ({timestamp}, {offset}) is not the first batch to reach that timestamp (an earlier batch has {_largestBefore[i]})", "index position");
            }
        }
    }

    /// <summary>Where a file's lines go, and whether any of them reported damage.</summary>
    private sealed class Report(TextWriter output)
    {
        public TextWriter Output { get; } = output;

        public bool Corrupt { get; private set; }

        public void Corruption(long position, string reason, string where = "position")
        {
            Corrupt = true;
            Output.WriteLine($"CORRUPT at {where} {position}: {reason}");
        }
    }
}
