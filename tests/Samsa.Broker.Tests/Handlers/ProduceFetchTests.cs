using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Handlers;

public sealed class ProduceFetchTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync();
        _connection = await _broker.ConnectAsync();
        var created = await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("events", 3), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private async Task<long> ProduceAsync(int partition, int count, short version = 7)
    {
        var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce("events", partition, Batches.Build(count)), version);
        var result = response.Responses[0].PartitionResponses[0];
        Assert.Equal(0, result.ErrorCode);
        return result.BaseOffset;
    }

    private static List<RecordBatchHeader> Headers(ReadOnlyMemory<byte>? records)
    {
        var result = new List<RecordBatchHeader>();
        var span = records!.Value.Span;
        while (span.Length > 0)
        {
            Assert.True(RecordBatchHeader.TryRead(span, out var header));
            Assert.True(RecordBatch.IsCrcValid(span[..(int)header.TotalSize]));
            result.Add(header);
            span = span[(int)header.TotalSize..];
        }
        return result;
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(9)]
    public async Task Produce_assigns_consecutive_offsets_per_partition(short version)
    {
        Assert.Equal(0, await ProduceAsync(1, 5, version));
        Assert.Equal(5, await ProduceAsync(1, 3, version));
        Assert.Equal(0, await ProduceAsync(2, 1, version));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Fetch_returns_whole_batches_with_broker_assigned_offsets(short version)
    {
        await ProduceAsync(0, 5);
        await ProduceAsync(0, 2);
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 0), version);
        var data = response.Responses[0].Partitions[0];
        Assert.Equal(0, data.ErrorCode);
        Assert.Equal(7, data.HighWatermark);
        var headers = Headers(data.Records);
        Assert.Equal([0L, 5L], headers.Select(h => h.BaseOffset));
        Assert.Equal([4L, 6L], headers.Select(h => h.LastOffset));
        Assert.All(headers, h => Assert.Equal(0, h.PartitionLeaderEpoch));
    }

    [Fact]
    public async Task Fetch_from_the_middle_of_a_batch_starts_at_that_batch()
    {
        await ProduceAsync(0, 5);
        await ProduceAsync(0, 5);
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 7), 11);
        Assert.Equal([5L], Headers(response.Responses[0].Partitions[0].Records).Select(h => h.BaseOffset));
    }

    [Fact]
    public async Task Fetch_returns_one_whole_batch_even_when_it_exceeds_max_bytes()
    {
        await ProduceAsync(0, 50);
        await ProduceAsync(0, 50);
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 0, maxBytes: 10), 11);
        Assert.Single(Headers(response.Responses[0].Partitions[0].Records));
    }

    [Fact]
    public async Task Fetch_past_the_end_returns_offset_out_of_range()
    {
        await ProduceAsync(0, 3);
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 4), 11);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, response.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Fetch_at_the_end_returns_no_records_and_no_error()
    {
        await ProduceAsync(0, 3);
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 3), 11);
        var data = response.Responses[0].Partitions[0];
        Assert.Equal(0, data.ErrorCode);
        Assert.Equal(0, data.Records!.Value.Length);
    }

    [Fact]
    public async Task Fetch_of_an_unknown_partition_returns_unknown_topic_or_partition()
    {
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 9, 0), 11);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Delayed_fetch_completes_when_data_arrives()
    {
        using var consumer = await _broker.ConnectAsync();
        int correlationId = consumer.NextCorrelationId();
        await consumer.SendRawAsync(RawConnection.Encode(Requests.Fetch("events", 2, 0, maxWaitMs: 30_000, minBytes: 1), 11, correlationId));
        var pending = consumer.ReceiveAsync(0, TimeSpan.FromSeconds(20));
        await ProduceAsync(2, 4);
        var (received, body) = await pending;
        Assert.Equal(correlationId, received);
        var response = RawConnection.Decode<FetchResponse>(body, 11);
        Assert.Single(Headers(response.Responses[0].Partitions[0].Records));
    }

    [Fact]
    public async Task Delayed_fetch_expires_after_max_wait_with_no_data()
    {
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 1, 0, maxWaitMs: 200, minBytes: 1), 11);
        Assert.Equal(0, response.Responses[0].Partitions[0].Records!.Value.Length);
    }

    [Fact]
    public async Task Produce_with_acks_zero_gets_no_response_but_is_stored()
    {
        int id = _connection.NextCorrelationId();
        await _connection.SendRawAsync(RawConnection.Encode(Requests.Produce("events", 0, Batches.Build(2), acks: 0), 7, id));
        Assert.Equal(2, await ProduceAsync(0, 1));
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        var ids = new List<int>();
        var frames = new List<byte>();
        for (int i = 0; i < 50; i++)
        {
            int id = _connection.NextCorrelationId();
            ids.Add(id);
            IProtocolMessage request = (i % 3) switch
            {
                0 => Requests.Produce("events", i % 3, Batches.Build(2)),
                1 => new MetadataRequest { Topics = null },
                _ => Requests.Fetch("events", 0, 0),
            };
            short version = (i % 3) switch { 0 => 7, 1 => 9, _ => 11 };
            frames.AddRange(RawConnection.Encode(request, version, id));
        }
        await _connection.SendRawAsync(frames.ToArray());
        for (int i = 0; i < 50; i++)
        {
            short headerVersion = (short)(i % 3 == 1 ? 1 : 0);
            var (received, _) = await _connection.ReceiveAsync(headerVersion);
            Assert.Equal(ids[i], received);
        }
    }

    [Fact]
    public async Task List_offsets_returns_earliest_and_latest()
    {
        await ProduceAsync(0, 6);
        var request = new ListOffsetsRequest { ReplicaId = -1 };
        var topic = new ListOffsetsRequest.ListOffsetsTopic { Name = "events" };
        topic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -2 });
        topic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 1, Timestamp = -1 });
        request.Topics.Add(topic);
        var earliest = await _connection.SendAsync<ListOffsetsResponse>(request, 5);
        Assert.Equal(0, earliest.Topics[0].Partitions[0].Offset);
        Assert.Equal(0, earliest.Topics[0].Partitions[1].Offset);
        topic.Partitions[0].Timestamp = -1;
        var latest = await _connection.SendAsync<ListOffsetsResponse>(request, 7);
        Assert.Equal(6, latest.Topics[0].Partitions[0].Offset);
    }

    [Fact]
    public async Task Restart_keeps_every_acknowledged_batch_and_continues_offsets()
    {
        await ProduceAsync(0, 10);
        await ProduceAsync(0, 5);
        _connection.Dispose();
        await _broker.RestartAsync();
        _connection = await _broker.ConnectAsync();
        Assert.Equal(15, await ProduceAsync(0, 1));
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", 0, 0), 11);
        Assert.Equal([0L, 10L, 15L], Headers(response.Responses[0].Partitions[0].Records).Select(h => h.BaseOffset));
    }
}
