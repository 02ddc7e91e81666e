using System.Text;
using Samsa.Client.Consumer;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Client.Tests.Consumer;

/// <summary>Reading one partition's records out of a fetch response, byte-exact inputs built here.</summary>
public sealed class CompletedFetchTests
{
    private static byte[] Batch(long baseOffset, int count, string prefix, long producerId = -1, bool transactional = false)
    {
        using var builder = new RecordBatchBuilder { BaseOffset = baseOffset, ProducerId = producerId, ProducerEpoch = (short)(producerId >= 0 ? 0 : -1), IsTransactional = transactional };
        if (producerId >= 0)
        {
            builder.BaseSequence = 0;
        }
        for (int i = 0; i < count; i++)
        {
            builder.Append(1000 + i, null, Encoding.UTF8.GetBytes(prefix + i));
        }
        return builder.ToArray();
    }

    private static byte[] Marker(long offset, long producerId, ControlRecordType type)
    {
        byte[] marker = EndTransactionMarker.BuildBatch(producerId, 0, 0, type, 2000);
        RecordBatch.SetBaseOffset(marker, offset);
        RecordBatch.WriteCrc(marker);
        return marker;
    }

    private static (List<long> Offsets, List<string> Values, PartitionState State) ReadAll(byte[] records, long position,
        List<FetchResponse.AbortedTransaction>? aborted = null, bool checkCrcs = false)
    {
        var state = new PartitionState(new TopicPartition("t", 0));
        state.Reset(position);
        var released = 0;
        var buffer = new FetchResponseBuffer(new NoFrame(), _ => released++, new Fetcher.BrokerFetchState(0));
        buffer.AddReference();
        var fetch = new CompletedFetch(buffer, state, state.Epoch, records, aborted, checkCrcs, autoStore: true);
        buffer.Release();
        var sink = new CollectingSink([], []);
        try
        {
            while (!fetch.IsDrained)
            {
                fetch.Read(ref sink, 3);
            }
        }
        finally
        {
            fetch.Dispose();
        }
        Assert.Equal(1, released);
        return (sink.Offsets, sink.Values, state);
    }

    [Fact]
    public void Read_committed_drops_aborted_and_control_batches_and_leaves_a_partial_batch_for_the_next_fetch()
    {
        byte[] partial = Batch(10, 5, "next");
        byte[] records = [
            .. Batch(0, 2, "plain"),
            .. Batch(2, 3, "aborted", producerId: 7, transactional: true),
            .. Marker(5, 7, ControlRecordType.Abort),
            .. Batch(6, 2, "committed", producerId: 8, transactional: true),
            .. Marker(8, 8, ControlRecordType.Commit),
            .. Batch(9, 1, "last"),
            .. partial.AsSpan(0, partial.Length - 3),
        ];
        var aborted = new List<FetchResponse.AbortedTransaction> { new() { ProducerId = 7, FirstOffset = 2 } };

        var (offsets, values, state) = ReadAll(records, 0, aborted);

        Assert.Equal([0L, 1, 6, 7, 9], offsets);
        Assert.Equal(["plain0", "plain1", "committed0", "committed1", "last0"], values);
        Assert.Equal(10, state.Position);
        Assert.Equal(10, state.StoredOffset);
        Assert.Equal(10, CompletedFetch.NextOffsetAfter(records));
    }

    [Fact]
    public void Read_uncommitted_keeps_aborted_records_but_never_control_records()
    {
        byte[] records = [.. Batch(0, 2, "aborted", producerId: 7, transactional: true), .. Marker(2, 7, ControlRecordType.Abort), .. Batch(3, 1, "after")];

        var (offsets, _, state) = ReadAll(records, 0, aborted: null);

        Assert.Equal([0L, 1, 3], offsets);
        Assert.Equal(4, state.Position);
    }

    [Fact]
    public void Records_below_the_position_are_skipped_even_inside_a_batch()
    {
        byte[] records = [.. Batch(0, 5, "a"), .. Batch(5, 5, "b")];

        var (offsets, _, state) = ReadAll(records, 3);

        Assert.Equal([3L, 4, 5, 6, 7, 8, 9], offsets);
        Assert.Equal(10, state.Position);
    }

    [Fact]
    public void A_control_batch_at_the_end_still_moves_the_position_past_it()
    {
        byte[] records = [.. Batch(0, 1, "t", producerId: 3, transactional: true), .. Marker(1, 3, ControlRecordType.Commit)];

        var (offsets, _, state) = ReadAll(records, 0, []);

        Assert.Equal([0L], offsets);
        Assert.Equal(2, state.Position);
    }

    [Fact]
    public void A_corrupt_batch_fails_the_crc_check_only_when_check_crcs_is_on()
    {
        byte[] records = Batch(0, 3, "x");
        records[Array.LastIndexOf(records, (byte)'2')] = (byte)'9';

        var error = Assert.Throws<ConsumeException>(() => ReadAll(records, 0, checkCrcs: true));
        Assert.Equal(ErrorCode.CorruptMessage, error.Error);
        Assert.Equal(["x0", "x1", "x9"], ReadAll(records, 0, checkCrcs: false).Values);
    }

    [Fact]
    public void A_malformed_record_is_a_consume_exception_not_a_parser_exception()
    {
        byte[] records = Batch(0, 3, "x");
        records[^1] = 0x55;

        var error = Assert.Throws<ConsumeException>(() => ReadAll(records, 0));

        Assert.Equal(ErrorCode.CorruptMessage, error.Error);
        Assert.Equal(new TopicPartitionOffset("t", 0, 2), error.Position);
    }

    [Fact]
    public void Compressed_batches_are_read_from_the_position()
    {
        byte[] records = [.. RecordBatchCompression.Compress(Batch(0, 4, "z"), CompressionType.Gzip), .. RecordBatchCompression.Compress(Batch(4, 4, "z"), CompressionType.Gzip)];

        var (offsets, values, _) = ReadAll(records, 2);

        Assert.Equal([2L, 3, 4, 5, 6, 7], offsets);
        Assert.Equal("z2", values[0]);
    }

    private struct CollectingSink(List<long> offsets, List<string> values) : IRecordSink
    {
        public readonly List<long> Offsets => offsets;

        public readonly List<string> Values => values;

        public readonly void Accept(in ConsumedRecord record)
        {
            offsets.Add(record.Offset);
            values.Add(Encoding.UTF8.GetString(record.Value));
        }
    }

    private sealed class NoFrame : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
