using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;

namespace Samsa.Broker.Tests.Coordinator;

public sealed class OffsetRetentionTests
{
    [Fact]
    public async Task Offsets_of_a_group_empty_for_longer_than_the_retention_expire()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var broker = await TestBroker.StartAsync(c => c with
        {
            OffsetsRetentionMinutes = 10,
            OffsetsRetentionCheckIntervalMs = 60_000,
            OffsetsTopicNumPartitions = 1,
        }, clock);
        using (var admin = await broker.ConnectAsync())
        {
            await admin.SendAsync<Samsa.Protocol.Messages.CreateTopicsResponse>(Requests.CreateTopic("orders", 1), 5);
        }
        using var client = await GroupClient.ConnectAsync(broker);
        Assert.Equal(ErrorCode.None, await client.CommitAsync("old", -1, "", "orders", 0, 5));

        clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(300);
        Assert.Equal(5L, (await client.FetchOffsetAsync("old", "orders", 0)).Offset);

        clock.Advance(TimeSpan.FromMinutes(6));
        await Eventually.True(() => client.FetchOffsetAsync("old", "orders", 0).Result.Offset == -1, "the offset to expire");
    }
}
