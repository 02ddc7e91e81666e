using Samsa.Broker.Tests.Infrastructure;
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
