using Samsa.Broker.Cluster;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Coordinator.Group;

/// <summary>offsets.retention.minutes against open transactions: pending transactional offsets outlive the retention check.</summary>
public sealed class TxnOffsetRetentionTests
{
    private static TxnOffsetCommitRequest TxnCommit(string group, long producerId, int partition, long offset) => new()
    {
        TransactionalId = "txn-" + producerId,
        GroupId = group,
        ProducerId = producerId,
        ProducerEpoch = 0,
        Topics =
        [
            new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic
            {
                Name = "orders",
                Partitions = [new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition { PartitionIndex = partition, CommittedOffset = offset }],
            },
        ],
    };

    [Fact]
    public async Task Expiry_keeps_pending_txn_offsets_and_the_committed_offset_they_will_replace()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var broker = await TestBroker.StartAsync(c => c with
        {
            OffsetsRetentionMinutes = 10,
            OffsetsRetentionCheckIntervalMs = long.MaxValue / 4,
            OffsetsTopicNumPartitions = 1,
        }, clock);
        using (var admin = await broker.ConnectAsync())
        {
            await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("orders", 2), 5);
        }
        var groups = broker.Broker.Groups;
        using var client = await GroupClient.ConnectAsync(broker);
        Assert.Equal(ErrorCode.None, await client.CommitAsync("idle", -1, "", "orders", 0, 5));
        Assert.Equal(ErrorCode.None, await client.CommitAsync("idle", -1, "", "orders", 1, 6));
        var txn = await client.Connection.SendAsync<TxnOffsetCommitResponse>(TxnCommit("idle", 8001, 0, 9), 3);
        Assert.Equal(0, txn.Topics[0].Partitions[0].ErrorCode);
        txn = await client.Connection.SendAsync<TxnOffsetCommitResponse>(TxnCommit("only-pending", 8002, 0, 1), 3);
        Assert.Equal(0, txn.Topics[0].Partitions[0].ErrorCode);

        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, groups.ExpireOffsets());
        Assert.Equal(5L, (await client.FetchOffsetAsync("idle", "orders", 0)).Offset);
        Assert.Equal(-1L, (await client.FetchOffsetAsync("idle", "orders", 1)).Offset);
        Assert.True(groups.HasPendingTxnOffset("only-pending", new TopicPartition("orders", 0)));

        var writer = new TxnMarkerWriter(broker.Broker.Replicas, groups, TimeProvider.System);
        var offsetsPartition = new TopicPartition(GroupCoordinator.OffsetsTopic, 0);
        Assert.Equal(ErrorCode.None, await writer.WriteMarkerAsync(offsetsPartition, 8001, 0, 0, commit: true));
        Assert.Equal(ErrorCode.None, await writer.WriteMarkerAsync(offsetsPartition, 8002, 0, 0, commit: true));
        Assert.Equal(9L, (await client.FetchOffsetAsync("idle", "orders", 0)).Offset);
        Assert.Equal(1L, (await client.FetchOffsetAsync("only-pending", "orders", 0)).Offset);
    }
}
