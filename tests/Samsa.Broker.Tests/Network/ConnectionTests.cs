using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Network;

public sealed class ConnectionTests
{
    [Fact]
    public async Task Idle_connection_is_closed_after_connections_max_idle_ms()
    {
        await using var broker = await TestBroker.StartAsync(c => c with { ConnectionsMaxIdleMs = 300 });
        using var idle = await broker.ConnectAsync();
        await idle.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0);
        Assert.True(await idle.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_large_request_arriving_in_pieces_is_read_whole_and_the_request_behind_it_follows()
    {
        await using var broker = await TestBroker.StartAsync(c => c with { MessageMaxBytes = 4 * 1024 * 1024 });
        using var connection = await broker.ConnectAsync();
        await connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("large", 1), 5);
        byte[] batch = Batches.Build(2500, prefix: new string('x', 1000));
        Assert.True(batch.Length > 2 * 1024 * 1024);

        int produceId = connection.NextCorrelationId();
        byte[] produce = RawConnection.Encode(Requests.Produce("large", 0, batch), 9, produceId);
        int metadataId = connection.NextCorrelationId();
        byte[] metadata = RawConnection.Encode(new MetadataRequest { Topics = null }, 9, metadataId);
        // The first piece holds the size and part of the request; the rest comes later, with the next request behind it.
        await connection.SendRawAsync(produce[..70_000]);
        await Task.Delay(100);
        await connection.SendRawAsync([.. produce[70_000..], .. metadata]);

        var (received, body) = await connection.ReceiveAsync(ApiMessages.ResponseHeaderVersion(ApiKey.Produce, 9));
        Assert.Equal(produceId, received);
        var result = RawConnection.Decode<ProduceResponse>(body, 9).Responses[0].PartitionResponses[0];
        Assert.Equal(0, result.ErrorCode);
        (received, _) = await connection.ReceiveAsync(ApiMessages.ResponseHeaderVersion(ApiKey.Metadata, 9));
        Assert.Equal(metadataId, received);

        var fetch = await connection.SendAsync<FetchResponse>(Requests.Fetch("large", 0, 0, maxBytes: 8 * 1024 * 1024), 12);
        var records = fetch.Responses[0].Partitions[0].Records!.Value;
        Assert.Equal(batch.Length, records.Length);
        Assert.True(RecordBatchHeader.TryRead(records.Span, out var header));
        Assert.Equal(2499, header.LastOffset);
        Assert.True(RecordBatch.IsCrcValid(records.Span));
    }

    [Fact]
    public async Task Shutdown_keeps_every_acknowledged_produce()
    {
        await using var broker = await TestBroker.StartAsync();
        using (var admin = await broker.ConnectAsync())
        {
            await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("shutdown", 1), 5);
        }
        var producer = await broker.ConnectAsync();
        const int Requests_ = 200;
        var frames = new List<byte>();
        for (int i = 0; i < Requests_; i++)
        {
            frames.AddRange(RawConnection.Encode(Requests.Produce("shutdown", 0, Batches.Build(10)), 7, producer.NextCorrelationId()));
        }
        await producer.SendRawAsync(frames.ToArray());
        var stopping = broker.Broker.StopAsync();
        long acknowledged = 0;
        long lastOffset = -1;
        try
        {
            for (int i = 0; i < Requests_; i++)
            {
                var (_, body) = await producer.ReceiveAsync(0);
                var result = RawConnection.Decode<ProduceResponse>(body, 7).Responses[0].PartitionResponses[0];
                Assert.Equal(0, result.ErrorCode);
                Assert.Equal(lastOffset + 1, result.BaseOffset);
                lastOffset = result.BaseOffset + 9;
                acknowledged += 10;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // The broker closed the connection after finishing what it had read.
        }
        await stopping;
        producer.Dispose();

        await broker.RestartAsync();
        using var consumer = await broker.ConnectAsync();
        long stored = 0;
        long offset = 0;
        while (true)
        {
            var response = await consumer.SendAsync<FetchResponse>(Requests.Fetch("shutdown", 0, offset), 11);
            var records = response.Responses[0].Partitions[0].Records!.Value;
            if (records.Length == 0)
            {
                break;
            }
            var span = records.Span;
            while (RecordBatchHeader.TryRead(span, out var header))
            {
                stored += header.RecordsCount;
                offset = header.NextOffset;
                span = span[(int)header.TotalSize..];
            }
        }
        Assert.True(stored >= acknowledged, $"stored {stored}, acknowledged {acknowledged}");
        Assert.Equal(stored, offset);
    }
}
