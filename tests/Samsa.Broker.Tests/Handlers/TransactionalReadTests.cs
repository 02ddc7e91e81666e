using System.Text;
using Samsa.Broker.Cluster;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// Idempotent produce (duplicates, gaps, fenced epochs) and read_committed reads over the wire: Fetch up to the last
/// stable offset with the aborted transactions listed, ListOffsets latest at read_committed, and waiting fetches that an
/// open transaction keeps waiting. Markers are appended the way the transaction coordinator appends them.
/// </summary>
public sealed class TransactionalReadTests : IAsyncLifetime
{
    private const string Topic = "orders";
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync();
        _connection = await _broker.ConnectAsync();
        var created = await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic(Topic, 1), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private ReplicaManager Replicas => _broker.Broker.Replicas;

    private static byte[] Batch(long producerId, short epoch, int sequence, bool transactional, params string[] values)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = sequence, IsTransactional = transactional };
        foreach (string value in values)
        {
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value));
        }

        return builder.ToArray();
    }

    private async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(byte[] batch)
    {
        var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce(Topic, 0, batch), 9);
        return response.Responses[0].PartitionResponses[0];
    }

    private async Task WriteMarkerAsync(long producerId, short epoch, bool commit)
    {
        byte[] marker = EndTransactionMarker.BuildBatch(producerId, epoch, 0, commit ? ControlRecordType.Commit : ControlRecordType.Abort,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var result = await Replicas.AppendAsCoordinatorAsync(new TopicPartition(Topic, 0), marker, waitForFlush: true);
        Assert.Equal(ErrorCode.None, result.Error);
    }

    private async Task<FetchResponse.PartitionData> FetchAsync(bool readCommitted, long offset = 0, int maxWaitMs = 0, int minBytes = 0)
    {
        var request = Requests.Fetch(Topic, 0, offset, maxWaitMs: maxWaitMs, minBytes: minBytes);
        request.IsolationLevel = (sbyte)(readCommitted ? 1 : 0);
        var response = await _connection.SendAsync<FetchResponse>(request, 11);
        return response.Responses[0].Partitions[0];
    }

    /// <summary>The values of the data records fetched (control batches skipped).</summary>
    private static List<string> Values(FetchResponse.PartitionData data)
    {
        var values = new List<string>();
        ReadOnlySpan<byte> span = data.Records!.Value.Span;
        while (RecordBatchHeader.TryRead(span, out RecordBatchHeader header) && header.TotalSize <= span.Length)
        {
            if (!header.IsControl)
            {
                foreach (Samsa.Protocol.Records.Record record in RecordReader.FromBatch(span))
                {
                    values.Add(Encoding.UTF8.GetString(record.Value));
                }
            }

            span = span[(int)header.TotalSize..];
        }

        return values;
    }

    private async Task<long> LatestOffsetAsync(bool readCommitted)
    {
        var request = new ListOffsetsRequest { ReplicaId = -1, IsolationLevel = (sbyte)(readCommitted ? 1 : 0) };
        var topic = new ListOffsetsRequest.ListOffsetsTopic { Name = Topic };
        topic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -1 });
        request.Topics.Add(topic);
        var response = await _connection.SendAsync<ListOffsetsResponse>(request, 5);
        return response.Topics[0].Partitions[0].Offset;
    }

    [Fact]
    public async Task A_retried_produce_is_acknowledged_with_the_first_offsets_and_stored_once()
    {
        Assert.Equal(0, (await ProduceAsync(Batch(11, 0, 0, false, "a", "b"))).BaseOffset);
        var first = await ProduceAsync(Batch(11, 0, 2, false, "c"));
        var retry = await ProduceAsync(Batch(11, 0, 2, false, "c"));

        Assert.Equal(0, retry.ErrorCode);
        Assert.Equal(first.BaseOffset, retry.BaseOffset);
        Assert.Equal(["a", "b", "c"], Values(await FetchAsync(readCommitted: false)));
    }

    [Fact]
    public async Task Gaps_and_fenced_epochs_get_their_error_codes()
    {
        await ProduceAsync(Batch(11, 2, 0, false, "a"));

        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(Batch(11, 2, 5, false, "x"))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, (await ProduceAsync(Batch(11, 1, 1, false, "x"))).ErrorCode);
        Assert.Equal(["a"], Values(await FetchAsync(readCommitted: false)));
    }

    [Fact]
    public async Task Read_committed_stops_at_an_open_transaction_and_lists_aborted_ones()
    {
        await ProduceAsync(Batch(21, 0, 0, true, "aborted-1", "aborted-2"));
        await ProduceAsync(Batch(-1, -1, -1, false, "plain"));
        await ProduceAsync(Batch(22, 0, 0, true, "committed"));
        await WriteMarkerAsync(21, 0, commit: false);
        await ProduceAsync(Batch(23, 0, 0, true, "open"));

        // Offsets: 0-1 aborted (producer 21), 2 plain, 3 producer 22's open transaction, 4 the ABORT marker, 5 producer 23.
        var committed = await FetchAsync(readCommitted: true);
        Assert.Equal(6, committed.HighWatermark);
        Assert.Equal(3, committed.LastStableOffset);
        var aborted = Assert.Single(committed.AbortedTransactions!);
        Assert.Equal((21L, 0L), (aborted.ProducerId, aborted.FirstOffset));
        Assert.Equal(["aborted-1", "aborted-2", "plain"], Values(committed));
        Assert.Equal(3, await LatestOffsetAsync(readCommitted: true));
        Assert.Equal(6, await LatestOffsetAsync(readCommitted: false));

        var uncommitted = await FetchAsync(readCommitted: false);
        Assert.Null(uncommitted.AbortedTransactions);
        Assert.Equal(["aborted-1", "aborted-2", "plain", "committed", "open"], Values(uncommitted));

        await WriteMarkerAsync(22, 0, commit: true);
        var after = await FetchAsync(readCommitted: true);
        Assert.Equal(5, after.LastStableOffset);
        Assert.Equal(["aborted-1", "aborted-2", "plain", "committed"], Values(after));
    }

    [Fact]
    public async Task A_waiting_read_committed_fetch_completes_when_the_transaction_commits()
    {
        await ProduceAsync(Batch(31, 0, 0, true, "first"));
        var fetch = FetchAsync(readCommitted: true, maxWaitMs: 10_000, minBytes: 1);
        // Another connection: this one answers in order, after the fetch.
        using var producer = await _broker.ConnectAsync();
        var produced = await producer.SendAsync<ProduceResponse>(Requests.Produce(Topic, 0, Batch(31, 0, 1, true, "second")), 9);
        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        await Task.Delay(200);
        Assert.False(fetch.IsCompleted, "the open transaction keeps the fetch waiting");

        await WriteMarkerAsync(31, 0, commit: true);

        var data = await fetch.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["first", "second"], Values(data));
        Assert.Empty(data.AbortedTransactions!);
    }

    private async Task<List<(int Partition, short Error)>> WriteTxnMarkersAsync(long producerId, short epoch, bool commit, params int[] partitions)
    {
        var marker = new WriteTxnMarkersRequest.WritableTxnMarker
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            TransactionResult = commit,
            CoordinatorEpoch = 0,
        };
        var topic = new WriteTxnMarkersRequest.WritableTxnMarkerTopic { Name = Topic };
        topic.PartitionIndexes.AddRange(partitions);
        marker.Topics.Add(topic);
        var request = new WriteTxnMarkersRequest();
        request.Markers.Add(marker);
        var response = await _connection.SendAsync<WriteTxnMarkersResponse>(request, 1);
        var result = Assert.Single(response.Markers);
        Assert.Equal(producerId, result.ProducerId);
        return [.. Assert.Single(result.Topics).Partitions.Select(p => (p.PartitionIndex, p.ErrorCode))];
    }

    [Fact]
    public async Task WriteTxnMarkers_ends_a_transaction_and_answers_per_partition()
    {
        await ProduceAsync(Batch(41, 3, 0, true, "to-abort"));
        Assert.Equal(0, (await FetchAsync(readCommitted: true)).LastStableOffset);

        Assert.Equal([(0, (short)ErrorCode.InvalidProducerEpoch), (7, (short)ErrorCode.UnknownTopicOrPartition)],
            await WriteTxnMarkersAsync(41, 2, commit: false, 0, 7));
        Assert.Equal([(0, (short)ErrorCode.None)], await WriteTxnMarkersAsync(41, 3, commit: false, 0));

        var data = await FetchAsync(readCommitted: true);
        Assert.Equal(2, data.LastStableOffset);
        var aborted = Assert.Single(data.AbortedTransactions!);
        Assert.Equal((41L, 0L), (aborted.ProducerId, aborted.FirstOffset));
    }
}
