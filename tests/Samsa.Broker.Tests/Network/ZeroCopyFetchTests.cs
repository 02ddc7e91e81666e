using System.Diagnostics;
using System.Net.Sockets;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Network;

/// <summary>Fetch responses whose records go from the segment files to the socket with sendfile(2).</summary>
public sealed class ZeroCopyFetchTests
{
    private const string Topic = "zc";

    [Theory]
    [InlineData(4)]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Fetch_responses_are_byte_identical_with_zero_copy_on_and_off(short version)
    {
        var (on, sentOn) = await FetchBodyAsync(zeroCopy: true, version);
        var (off, sentOff) = await FetchBodyAsync(zeroCopy: false, version);

        Assert.Equal(off.Length, on.Length);
        Assert.True(off.AsSpan().SequenceEqual(on), "zero-copy and copied responses differ");
        Assert.True(sentOn > 100_000, $"only {sentOn} bytes went through sendfile");
        Assert.Equal(0, sentOff);
        var response = RawConnection.Decode<FetchResponse>(on, version);
        Assert.All(response.Responses[0].Partitions, p => Assert.True(p.Records!.Value.Length > 50_000));
    }

    [Fact]
    public async Task Pipelined_fetches_and_other_requests_are_answered_in_order()
    {
        await using var broker = await TestBroker.StartAsync();
        using var connection = await broker.ConnectAsync();
        await FillAsync(connection, batches: 20);

        var sent = new List<(int Id, ApiKey Api, short Version)>();
        for (int i = 0; i < 6; i++)
        {
            int id = connection.NextCorrelationId();
            IProtocolMessage request = i % 2 == 0
                ? Requests.Fetch(Topic, i % 4 / 2, offset: 0, maxBytes: 64 * 1024)
                : new MetadataRequest { Topics = null };
            short version = (short)(i % 2 == 0 ? 12 : 9);
            await connection.SendRawAsync(RawConnection.Encode(request, version, id));
            sent.Add((id, request.Api, version));
        }

        foreach (var (id, api, version) in sent)
        {
            var (received, body) = await connection.ReceiveAsync(ApiMessages.ResponseHeaderVersion(api, version));
            Assert.Equal(id, received);
            if (api == ApiKey.Fetch)
            {
                var fetch = RawConnection.Decode<FetchResponse>(body, version);
                Assert.True(fetch.Responses[0].Partitions[0].Records!.Value.Length > 0);
            }
        }
        Assert.True(broker.Broker.ZeroCopyBytesSent > 0);
    }

    [Fact]
    public async Task A_reader_that_does_not_drain_a_large_response_blocks_no_other_connection()
    {
        await using var broker = await TestBroker.StartAsync(c => c with { SocketSendBufferBytes = 64 * 1024 });
        using var producer = await broker.ConnectAsync();
        await FillAsync(producer, batches: 200);

        // A 16 MiB fetch that the client does not read: the response cannot fit in the socket buffers.
        using var stalled = await broker.ConnectAsync();
        var bigFetch = Requests.Fetch(Topic, 0, offset: 0, maxBytes: 16 * 1024 * 1024);
        await stalled.SendRawAsync(RawConnection.Encode(bigFetch, 12, stalled.NextCorrelationId()));
        await Eventually.True(() => broker.Broker.ZeroCopyBytesSent > 1024 * 1024, "the stalled fetch is being sent");

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            var fetch = await producer.SendAsync<FetchResponse>(Requests.Fetch(Topic, 1, offset: 0, maxBytes: 256 * 1024), 12);
            Assert.True(fetch.Responses[0].Partitions[0].Records!.Value.Length > 0);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"other fetches took {clock.Elapsed}");

        // The stalled reader still gets its whole response once it reads.
        var (_, body) = await stalled.ReceiveAsync(headerVersion: 1, TimeSpan.FromSeconds(30));
        var response = RawConnection.Decode<FetchResponse>(body, 12);
        Assert.True(response.Responses[0].Partitions[0].Records!.Value.Length > 1024 * 1024);
    }

    private static async Task<(byte[] Body, long ZeroCopyBytes)> FetchBodyAsync(bool zeroCopy, short version)
    {
        await using var broker = await TestBroker.StartAsync(c => c with { SocketZeroCopyEnable = zeroCopy });
        using var connection = await broker.ConnectAsync();
        await FillAsync(connection, batches: 30);

        var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 8 * 1024 * 1024, ReplicaId = -1 };
        var fetchTopic = new FetchRequest.FetchTopic { Topic = Topic };
        for (int p = 0; p < 2; p++)
        {
            fetchTopic.Partitions.Add(new FetchRequest.FetchPartition { Partition = p, FetchOffset = 3, PartitionMaxBytes = 4 * 1024 * 1024 });
        }
        request.Topics.Add(fetchTopic);
        int id = connection.NextCorrelationId();
        await connection.SendRawAsync(RawConnection.Encode(request, version, id));
        var (received, body) = await connection.ReceiveAsync(ApiMessages.ResponseHeaderVersion(ApiKey.Fetch, version));
        Assert.Equal(id, received);
        return (body, broker.Broker.ZeroCopyBytesSent);
    }

    /// <summary>Creates the two-partition topic and appends <paramref name="batches"/> batches of 200 records to each partition.</summary>
    private static async Task FillAsync(RawConnection connection, int batches)
    {
        var created = await connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic(Topic, 2), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
        byte[] batch = Batches.Build(200, prefix: new string('v', 40));
        for (int i = 0; i < batches; i++)
        {
            for (int p = 0; p < 2; p++)
            {
                var produced = await connection.SendAsync<ProduceResponse>(Requests.Produce(Topic, p, (byte[])batch.Clone()), 7);
                Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
            }
        }
    }
}
