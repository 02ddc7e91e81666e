using System.Text;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>ListOffsets by timestamp and MAX_TIMESTAMP (-3) over a log of several segments.</summary>
public sealed class ListOffsetsTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync();
        _connection = await _broker.ConnectAsync();
        var create = Requests.CreateTopic("clicks", 1);
        create.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = "segment.bytes", Value = "1024" });
        create.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = "index.interval.bytes", Value = "100" });
        var created = await _connection.SendAsync<CreateTopicsResponse>(create, 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private async Task ProduceAsync(params long[] timestamps)
    {
        using var builder = new RecordBatchBuilder();
        foreach (long timestamp in timestamps)
        {
            builder.Append(timestamp, null, Encoding.UTF8.GetBytes("value-" + timestamp + new string('.', 60)));
        }

        var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce("clicks", 0, builder.ToArray()), 7);
        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
    }

    private async Task<ListOffsetsResponse.ListOffsetsPartitionResponse> ListAsync(long timestamp, short version = 7)
    {
        var request = new ListOffsetsRequest { ReplicaId = -1 };
        var topic = new ListOffsetsRequest.ListOffsetsTopic { Name = "clicks" };
        topic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = timestamp });
        request.Topics.Add(topic);
        var response = await _connection.SendAsync<ListOffsetsResponse>(request, version);
        return response.Topics[0].Partitions[0];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task Timestamp_lookup_returns_the_first_record_at_or_after_the_target(short version)
    {
        // Offsets 0-2, 3-4, 5, 6-8, ... with timestamps out of order inside and across batches.
        await ProduceAsync(1000, 1300, 1100);
        await ProduceAsync(1200, 1250);
        await ProduceAsync(1050);
        for (int i = 0; i < 20; i++)
        {
            await ProduceAsync(2000 + (i * 100), 1990 + (i * 100), 2050 + (i * 100));
        }

        var first = await ListAsync(0, version);
        Assert.Equal((0, 1000), (first.Offset, first.Timestamp));
        var middle = await ListAsync(1150, version);
        Assert.Equal((1, 1300), (middle.Offset, middle.Timestamp));
        var exact = await ListAsync(1250, version);
        Assert.Equal((1, 1300), (exact.Offset, exact.Timestamp));
        var later = await ListAsync(3895, version);
        Assert.Equal((6 + (19 * 3), 3900), (later.Offset, later.Timestamp));
        var none = await ListAsync(9999, version);
        Assert.Equal((-1, -1), (none.Offset, none.Timestamp));
        Assert.Equal(0, none.ErrorCode);
    }

    [Fact]
    public async Task Max_timestamp_returns_the_record_holding_the_largest_timestamp_from_v7()
    {
        await ProduceAsync(1000, 1300, 1100);
        for (int i = 0; i < 15; i++)
        {
            await ProduceAsync(1000 + i, 1001 + i);
        }

        await ProduceAsync(1200, 5000, 5000);
        await ProduceAsync(4000);

        var max = await ListAsync(-3, 7);
        Assert.Equal(0, max.ErrorCode);
        Assert.Equal((34, 5000), (max.Offset, max.Timestamp));

        var old = await ListAsync(-3, 6);
        Assert.NotEqual(0, old.ErrorCode);
        Assert.Equal(-1, old.Offset);
    }

    [Fact]
    public async Task Max_timestamp_of_an_empty_partition_is_none()
    {
        var max = await ListAsync(-3, 7);
        Assert.Equal(0, max.ErrorCode);
        Assert.Equal((-1, -1), (max.Offset, max.Timestamp));
    }
}
