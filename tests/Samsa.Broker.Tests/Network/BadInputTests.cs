using System.Buffers.Binary;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Network;

/// <summary>
/// Malformed and hostile input: each gets the right error or a closed connection, the broker allocates
/// nothing proportional to a lying length, and a producer on another connection keeps working.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private TestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with { SocketRequestMaxBytes = 1024 * 1024 });
        using var admin = await _broker.ConnectAsync();
        var created = await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("bad-input", 1), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private static byte[] Frame(params byte[][] parts)
    {
        int size = parts.Sum(p => p.Length);
        var frame = new byte[4 + size];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        int offset = 4;
        foreach (var part in parts)
        {
            part.CopyTo(frame, offset);
            offset += part.Length;
        }
        return frame;
    }

    private static byte[] Header(short apiKey, short version, int correlationId)
    {
        var header = new byte[10];
        BinaryPrimitives.WriteInt16BigEndian(header, apiKey);
        BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(2), version);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(8), -1);
        return header;
    }

    /// <summary>Runs the bad input while another connection produces; checks that producer is unaffected.</summary>
    private async Task WithConcurrentProducer(Func<Task> badInput)
    {
        using var producer = await _broker.ConnectAsync();
        using var stop = new CancellationTokenSource();
        int acknowledged = 0;
        var producing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested || acknowledged < 5)
            {
                var response = await producer.SendAsync<ProduceResponse>(Requests.Produce("bad-input", 0, Batches.Build(3)), 7);
                Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
                acknowledged++;
            }
        });
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await badInput();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        stop.Cancel();
        await producing;
        Assert.True(acknowledged >= 5);
        // Whole process (producer loop included): far below what any lying length asked for.
        Assert.True(allocated < 64L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task Frame_longer_than_socket_request_max_bytes_closes_the_connection()
    {
        await WithConcurrentProducer(async () =>
        {
            using var connection = await _broker.ConnectAsync();
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, 1024 * 1024 + 1);
            await connection.SendRawAsync(prefix);
            Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
        });
    }

    [Fact]
    public async Task Frame_size_of_two_gigabytes_closes_the_connection_without_allocating()
    {
        await WithConcurrentProducer(async () =>
        {
            using var connection = await _broker.ConnectAsync();
            await connection.SendRawAsync([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 1]);
            Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
        });
    }

    [Fact]
    public async Task Negative_frame_size_closes_the_connection()
    {
        using var connection = await _broker.ConnectAsync();
        await connection.SendRawAsync([0xff, 0xff, 0xff, 0xfe]);
        Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
    }

    [Fact]
    public async Task Metadata_with_a_topic_count_of_int_max_and_no_body_closes_the_connection()
    {
        await WithConcurrentProducer(async () =>
        {
            using var connection = await _broker.ConnectAsync();
            var count = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(count, int.MaxValue);
            await connection.SendRawAsync(Frame(Header(3, 1, 7), count));
            Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
        });
    }

    [Fact]
    public async Task Flexible_metadata_with_a_huge_compact_array_length_closes_the_connection()
    {
        using var connection = await _broker.ConnectAsync();
        // v9 header: client id (int16 -1) then an empty tagged-field section; body: varint 0xffffffff.
        byte[] header = [.. Header(3, 9, 8), 0];
        await connection.SendRawAsync(Frame(header, [0xff, 0xff, 0xff, 0xff, 0x0f]));
        Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
    }

    [Fact]
    public async Task Unknown_api_key_closes_the_connection()
    {
        await WithConcurrentProducer(async () =>
        {
            using var connection = await _broker.ConnectAsync();
            await connection.SendRawAsync(Frame(Header(999, 0, 9)));
            Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
        });
    }

    [Fact]
    public async Task Unsupported_version_of_a_known_api_closes_the_connection()
    {
        using var connection = await _broker.ConnectAsync();
        // Fetch v3 is below the advertised 4-12.
        await connection.SendRawAsync(Frame(Header(1, 3, 10), new byte[40]));
        Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
    }

    [Fact]
    public async Task Unsupported_api_versions_version_is_answered_in_v0_with_the_supported_list()
    {
        using var connection = await _broker.ConnectAsync();
        await connection.SendRawAsync(Frame(Header(18, 99, 11)));
        var (correlationId, body) = await connection.ReceiveAsync(headerVersion: 0);
        Assert.Equal(11, correlationId);
        var response = RawConnection.Decode<ApiVersionsResponse>(body, 0);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.ErrorCode);
        Assert.Contains(response.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions && k.MaxVersion == 3);
    }

    [Fact]
    public async Task Produce_batch_with_a_wrong_crc_gets_corrupt_message_and_nothing_is_stored()
    {
        using var connection = await _broker.ConnectAsync();
        var batch = Batches.Build(5);
        batch[^1] ^= 0xff;
        var response = await connection.SendAsync<ProduceResponse>(Requests.Produce("bad-input", 0, batch), 7);
        Assert.Equal((short)ErrorCode.CorruptMessage, response.Responses[0].PartitionResponses[0].ErrorCode);
        await AssertTopicHoldsOnlyValidData(connection);
    }

    [Fact]
    public async Task Produce_with_a_truncated_batch_gets_corrupt_message()
    {
        using var connection = await _broker.ConnectAsync();
        var batch = Batches.Build(5);
        var response = await connection.SendAsync<ProduceResponse>(Requests.Produce("bad-input", 0, batch[..^7]), 7);
        Assert.Equal((short)ErrorCode.CorruptMessage, response.Responses[0].PartitionResponses[0].ErrorCode);
        await AssertTopicHoldsOnlyValidData(connection);
    }

    [Fact]
    public async Task Produce_with_records_length_past_the_end_of_the_request_closes_the_connection()
    {
        using var connection = await _broker.ConnectAsync();
        var bytes = RawConnection.Encode(Requests.Produce("bad-input", 0, Batches.Build(2)), 7, 12);
        // Cut the frame short but keep its size prefix honest: the records length now lies.
        var cut = bytes[..^10];
        BinaryPrimitives.WriteInt32BigEndian(cut, cut.Length - 4);
        await connection.SendRawAsync(cut);
        Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
    }

    [Fact]
    public async Task Produce_v2_is_answered_with_unsupported_version()
    {
        using var connection = await _broker.ConnectAsync();
        var response = await connection.SendAsync<ProduceResponse>(Requests.Produce("bad-input", 0, Batches.Build(1)), 2);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.Responses[0].PartitionResponses[0].ErrorCode);
    }

    [Fact]
    public async Task Garbage_after_a_valid_header_closes_only_that_connection()
    {
        using var healthy = await _broker.ConnectAsync();
        using var connection = await _broker.ConnectAsync();
        await connection.SendRawAsync(Frame(Header(0, 7, 13), [1, 2, 3]));
        Assert.True(await connection.IsClosedByPeerAsync(CloseTimeout));
        var response = await healthy.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0);
        Assert.Equal(0, response.ErrorCode);
    }

    private static async Task AssertTopicHoldsOnlyValidData(RawConnection connection)
    {
        var fetch = await connection.SendAsync<FetchResponse>(Requests.Fetch("bad-input", 0, 0), 11);
        var data = fetch.Responses[0].Partitions[0];
        Assert.Equal(0, data.ErrorCode);
        var records = data.Records!.Value;
        int position = 0;
        while (position < records.Length)
        {
            Assert.True(Samsa.Protocol.Records.RecordBatchHeader.TryRead(records.Span[position..], out var header));
            Assert.True(Samsa.Protocol.Records.RecordBatch.IsCrcValid(records.Span.Slice(position, (int)header.TotalSize)));
            position += (int)header.TotalSize;
        }
    }
}
