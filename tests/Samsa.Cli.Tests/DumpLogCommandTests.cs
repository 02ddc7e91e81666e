using System.Buffers.Binary;
using System.Text;
using Samsa.Cli.Commands;
using Samsa.Protocol;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Cli.Tests;

/// <summary>`samsa dump-log` over segments written by <see cref="PartitionLog"/>, intact and damaged.</summary>
public sealed class DumpLogCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "samsa-dump-log-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File0(string suffix) => Path.Combine(_dir, LogSegment.FileName(0, suffix));

    private static (int Exit, string Output) DumpLog(params string[] args)
    {
        var output = new StringWriter();
        int exit = DumpLogCommand.Run(args, output);
        return (exit, output.ToString());
    }

    /// <summary>Writes <paramref name="batches"/> batches of three records with growing timestamps; returns each batch's size.</summary>
    private List<int> WriteLog(int batches, CompressionType compression = CompressionType.None, int indexIntervalBytes = 100)
    {
        var sizes = new List<int>();
        var config = LogConfig.Default with { IndexIntervalBytes = indexIntervalBytes };
        using PartitionLog log = PartitionLog.Open(_dir, new TopicPartition("t", 0), config);
        for (int i = 0; i < batches; i++)
        {
            using var builder = new RecordBatchBuilder { ProducerId = 7000 + i, ProducerEpoch = 3, BaseSequence = i * 3 };
            builder.Append(1_000 + (i * 10), Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes("hello " + i), [new RecordHeader("trace", Encoding.UTF8.GetBytes("abc"))]);
            builder.Append(1_005 + (i * 10), null, [0x00, 0xff, 0x10]);
            builder.Append(1_002 + (i * 10), Encoding.UTF8.GetBytes("k" + i), null);
            byte[] batch = builder.ToArray();
            if (compression != CompressionType.None)
            {
                batch = RecordBatchCompression.Compress(batch, compression);
            }

            sizes.Add(batch.Length);
            log.Append(batch, leaderEpoch: 4);
        }

        return sizes;
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Log_prints_one_line_per_batch_with_its_header_fields()
    {
        List<int> sizes = WriteLog(5);
        var (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(0, exit);
        string[] batchLines = Lines(output).Where(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, batchLines.Length);
        Assert.Equal(
            $"baseOffset: 3 lastOffset: 5 count: 3 baseSequence: 3 lastSequence: 5 producerId: 7001 producerEpoch: 3 " +
            $"partitionLeaderEpoch: 4 isTransactional: false isControl: false position: {sizes[0]} CreateTime: 1015 " +
            $"size: {sizes[1]} magic: 2 compresscodec: none crc: {Crc(1)} isvalid: true",
            batchLines[1]);
        Assert.DoesNotContain("CORRUPT", output, StringComparison.Ordinal);
        Assert.DoesNotContain("| offset", output, StringComparison.Ordinal);
    }

    private uint Crc(int batch)
    {
        byte[] bytes = File.ReadAllBytes(File0(".log"));
        int position = 0;
        for (int i = 0; i < batch; i++)
        {
            position += 12 + BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(position + RecordBatchHeader.CrcOffset));
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public void Print_data_log_prints_every_record(CompressionType compression)
    {
        WriteLog(2, compression);
        var (exit, output) = DumpLog(File0(".log"), "--print-data-log");
        Assert.Equal(0, exit);
        string[] records = Lines(output).Where(l => l.StartsWith("| offset:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, records.Length);
        Assert.Equal("| offset: 3 CreateTime: 1010 keySize: 2 valueSize: 7 sequence: 3 headers: [trace=abc] key: k1 payload: hello 1", records[3]);
        Assert.Equal("| offset: 4 CreateTime: 1015 keySize: -1 valueSize: 3 sequence: 4 headers: [] key: null payload: 0x00FF10", records[4]);
        Assert.Equal("| offset: 5 CreateTime: 1012 keySize: 2 valueSize: -1 sequence: 5 headers: [] key: k1 payload: null", records[5]);
        Assert.Contains($"compresscodec: {(compression == CompressionType.None ? "none" : "gzip")}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexes_print_their_entries_and_agree_with_the_log()
    {
        WriteLog(30);
        byte[] raw = File.ReadAllBytes(File0(".index"));
        var offsetEntries = new List<(long Offset, int Position)>();
        for (int i = 0; i < raw.Length; i += 8)
        {
            offsetEntries.Add((BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(i)), BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(i + 4))));
        }

        var (exit, output) = DumpLog(File0(".index"));
        Assert.Equal(0, exit);
        string[] lines = Lines(output).Where(l => l.StartsWith("offset:", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length > 5);
        Assert.Equal(offsetEntries.Select(e => $"offset: {e.Offset} position: {e.Position}"), lines);
        Assert.Contains($"{lines.Length} entries, checked against 30 batches of the log", output, StringComparison.Ordinal);

        (exit, output) = DumpLog(File0(".timeindex"));
        Assert.Equal(0, exit);
        lines = Lines(output).Where(l => l.StartsWith("timestamp:", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length > 5);
        Assert.Equal("timestamp: 1295 offset: 87", lines[^1]);
        Assert.DoesNotContain("CORRUPT", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Txn_index_and_producer_snapshot_print_their_entries()
    {
        using (PartitionLog log = PartitionLog.Open(_dir, new TopicPartition("t", 0), LogConfig.Default))
        {
            using var builder = new RecordBatchBuilder { ProducerId = 42, ProducerEpoch = 1, BaseSequence = 0, IsTransactional = true };
            builder.Append(1_000, null, Encoding.UTF8.GetBytes("a"));
            builder.Append(1_001, null, Encoding.UTF8.GetBytes("b"));
            log.Append(builder.ToArray(), leaderEpoch: 0);
            log.UpdateHighWatermark(log.LogEndOffset);
            log.Append(EndTransactionMarker.BuildBatch(42, 1, 3, ControlRecordType.Abort, 1_002), leaderEpoch: 0, AppendOrigin.Coordinator);
        }

        var (exit, output) = DumpLog(File0(".txnindex"));
        Assert.Equal(0, exit);
        Assert.Contains("version: 0 producerId: 42 firstOffset: 0 lastOffset: 2 lastStableOffset: 3", output, StringComparison.Ordinal);

        string snapshot = Path.Combine(_dir, LogSegment.FileName(3, ProducerStateManager.SnapshotFileSuffix));
        (exit, output) = DumpLog(snapshot);
        Assert.Equal(0, exit);
        Assert.Contains("producerId: 42 producerEpoch: 1 coordinatorEpoch: 3 lastTimestamp: 1002 currentTxnFirstOffset: -1 lastOffset: 2 batch: [seq 0-1 offsets 0-1]", output, StringComparison.Ordinal);

        byte[] bytes = File.ReadAllBytes(snapshot);
        bytes[^1] ^= 1;
        File.WriteAllBytes(snapshot, bytes);
        (exit, output) = DumpLog(snapshot);
        Assert.Equal(1, exit);
        Assert.Contains("CORRUPT", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Torn_tail_is_reported_with_its_position_and_exit_code_1()
    {
        List<int> sizes = WriteLog(4);
        int end = sizes.Sum();
        using (var stream = new FileStream(File0(".log"), FileMode.Open))
        {
            stream.SetLength(end - 10);
        }

        var (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(1, exit);
        int lastStart = end - sizes[^1];
        Assert.Contains($"CORRUPT at position {lastStart}: torn tail: the batch needs {sizes[^1]} bytes but only {sizes[^1] - 10} remain", output, StringComparison.Ordinal);
        Assert.Equal(3, Lines(output).Count(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)));

        using (var stream = new FileStream(File0(".log"), FileMode.Open))
        {
            stream.SetLength(lastStart + 20);
        }

        (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at position {lastStart}: torn tail: the last 20 bytes are less than a batch header", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_crc_is_reported_and_the_dump_goes_on()
    {
        List<int> sizes = WriteLog(3);
        byte[] bytes = File.ReadAllBytes(File0(".log"));
        bytes[sizes[0] + RecordBatchHeader.RecordsOffset + 5] ^= 0x5a;
        File.WriteAllBytes(File0(".log"), bytes);

        var (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at position {sizes[0]}: the CRC does not match the batch", output, StringComparison.Ordinal);
        string[] batchLines = Lines(output).Where(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, batchLines.Length);
        Assert.EndsWith("isvalid: false", batchLines[1], StringComparison.Ordinal);
        Assert.EndsWith("isvalid: true", batchLines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_length_and_bad_magic_are_reported()
    {
        List<int> sizes = WriteLog(3);
        byte[] original = File.ReadAllBytes(File0(".log"));

        byte[] bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(sizes[0] + RecordBatchHeader.BatchLengthOffset), 7);
        File.WriteAllBytes(File0(".log"), bytes);
        var (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at position {sizes[0]}: bad batch length 7", output, StringComparison.Ordinal);

        bytes = (byte[])original.Clone();
        bytes[sizes[0] + RecordBatchHeader.MagicOffset] = 1;
        File.WriteAllBytes(File0(".log"), bytes);
        (exit, output) = DumpLog(File0(".log"));
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at position {sizes[0]}: bad magic 1", output, StringComparison.Ordinal);
        Assert.Equal(2, Lines(output).Count(l => l.StartsWith("baseOffset:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Index_entry_pointing_inside_a_batch_is_reported()
    {
        WriteLog(20);
        byte[] index = File.ReadAllBytes(File0(".index"));
        Assert.True(index.Length >= 16);
        int position = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(12));
        BinaryPrimitives.WriteInt32BigEndian(index.AsSpan(12), position + 3);
        File.WriteAllBytes(File0(".index"), index);

        var (exit, output) = DumpLog(File0(".index"), "--verify-index-only");
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at index position 8: entry (", output, StringComparison.Ordinal);
        Assert.Contains($"points at log position {position + 3}, where no batch starts", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" position: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_index_entries_out_of_order_are_reported()
    {
        WriteLog(20);
        byte[] index = File.ReadAllBytes(File0(".timeindex"));
        Assert.True(index.Length >= 24);
        BinaryPrimitives.WriteInt64BigEndian(index.AsSpan(12), 1);
        File.WriteAllBytes(File0(".timeindex"), index);

        var (exit, output) = DumpLog(File0(".timeindex"));
        Assert.Equal(1, exit);
        Assert.Contains("CORRUPT at index position 12: entry (1, ", output, StringComparison.Ordinal);
        Assert.Contains("is not after the previous entry", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_index_only_prints_no_entries_for_a_sound_index()
    {
        WriteLog(20);
        var (exit, output) = DumpLog(File0(".index"), File0(".timeindex"), "--verify-index-only");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("offset: 0 position", output, StringComparison.Ordinal);
        Assert.DoesNotContain("timestamp: ", output, StringComparison.Ordinal);
        Assert.Equal(2, Lines(output).Count(l => l.Contains("entries, checked against 20 batches", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_samsa_tool_runs_dump_log_and_exits_1_on_corruption()
    {
        List<int> sizes = WriteLog(2);
        var (exit, stdout, _) = await CliProcess.RunAsync("dump-log", File0(".log"), "--print-data-log");
        Assert.Equal(0, exit);
        Assert.Contains("| offset: 5 CreateTime: 1012", stdout, StringComparison.Ordinal);

        using (var stream = new FileStream(File0(".log"), FileMode.Open))
        {
            stream.SetLength(sizes.Sum() - 1);
        }

        (exit, stdout, _) = await CliProcess.RunAsync("dump-log", File0(".log"));
        Assert.Equal(1, exit);
        Assert.Contains($"CORRUPT at position {sizes[0]}: torn tail", stdout, StringComparison.Ordinal);

        (exit, _, string stderr) = await CliProcess.RunAsync("dump-log", Path.Combine(_dir, "nothing.txt"));
        Assert.Equal(2, exit);
        Assert.Contains("no such file", stderr, StringComparison.Ordinal);
    }
}
