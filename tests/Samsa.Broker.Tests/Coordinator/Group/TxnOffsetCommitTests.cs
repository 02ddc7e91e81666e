using Samsa.Broker.Cluster;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Coordinator.Group;

/// <summary>
/// Transactional offset commits over real sockets: TxnOffsetCommit writes pending offsets that only the transaction's
/// COMMIT marker (written through <see cref="TxnMarkerWriter"/> into __consumer_offsets) makes visible, OffsetFetch with
/// require_stable reports them as unstable, and a restart rebuilds committed, aborted and open transactions from the log.
/// Every producer id is used with one epoch (0) throughout, as a transactional producer would.
/// </summary>
public sealed class TxnOffsetCommitTests : IAsyncLifetime
{
    private const short Epoch = 0;
    private TestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with
        {
            GroupInitialRebalanceDelayMs = 0,
            GroupMinSessionTimeoutMs = 100,
            OffsetsTopicNumPartitions = 3,
        });
        using var admin = await _broker.ConnectAsync();
        await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("orders", 4), 5);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private GroupCoordinator Groups => _broker.Broker.Groups;

    private static TxnOffsetCommitRequest TxnCommit(string group, long producerId, string topic, int partition, long offset,
        int generation = -1, string memberId = "", string? instanceId = null, int leaderEpoch = -1, string? metadata = null) => new()
    {
        TransactionalId = "txn-" + producerId,
        GroupId = group,
        ProducerId = producerId,
        ProducerEpoch = Epoch,
        GenerationId = generation,
        MemberId = memberId,
        GroupInstanceId = instanceId,
        Topics =
        [
            new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic
            {
                Name = topic,
                Partitions =
                [
                    new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition
                    {
                        PartitionIndex = partition,
                        CommittedOffset = offset,
                        CommittedLeaderEpoch = leaderEpoch,
                        CommittedMetadata = metadata,
                    },
                ],
            },
        ],
    };

    private static async Task<ErrorCode> SendTxnCommitAsync(GroupClient client, TxnOffsetCommitRequest request, short version = 3)
    {
        var response = await client.Connection.SendAsync<TxnOffsetCommitResponse>(request, version);
        return (ErrorCode)Assert.Single(Assert.Single(response.Topics).Partitions).ErrorCode;
    }

    /// <summary>Writes the transaction's marker into the group's __consumer_offsets partition, as EndTxn does.</summary>
    private async Task WriteMarkerAsync(string group, long producerId, bool commit)
    {
        var writer = new TxnMarkerWriter(_broker.Broker.Replicas, Groups, TimeProvider.System);
        var partition = new TopicPartition(GroupCoordinator.OffsetsTopic, Groups.PartitionFor(group));
        Assert.Equal(ErrorCode.None, await writer.WriteMarkerAsync(partition, producerId, Epoch, coordinatorEpoch: 0, commit));
    }

    private static async Task<(ErrorCode Error, long Offset)> FetchStableAsync(GroupClient client, string group, string topic, int partition,
        short version = 7, bool requireStable = true)
    {
        if (version >= 8)
        {
            var batched = await client.Connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
            {
                RequireStable = requireStable,
                Groups =
                [
                    new OffsetFetchRequest.OffsetFetchRequestGroup
                    {
                        GroupId = group,
                        Topics = [new OffsetFetchRequest.OffsetFetchRequestTopics { Name = topic, PartitionIndexes = [partition] }],
                    },
                ],
            }, version);
            var g = Assert.Single(batched.Groups);
            Assert.Equal(0, g.ErrorCode);
            var p8 = Assert.Single(Assert.Single(g.Topics).Partitions);
            return ((ErrorCode)p8.ErrorCode, p8.CommittedOffset);
        }
        var response = await client.Connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
        {
            GroupId = group,
            RequireStable = requireStable,
            Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic, PartitionIndexes = [partition] }],
        }, version);
        Assert.Equal(0, response.ErrorCode);
        var p = Assert.Single(Assert.Single(response.Topics).Partitions);
        return ((ErrorCode)p.ErrorCode, p.CommittedOffset);
    }

    [Fact]
    public async Task Txn_offsets_are_invisible_until_the_commit_marker()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("t1", 1001, "orders", 0, 17)));

        Assert.Equal(-1L, (await client.FetchOffsetAsync("t1", "orders", 0)).Offset);
        Assert.True(Groups.HasPendingTxnOffset("t1", new TopicPartition("orders", 0)));

        await WriteMarkerAsync("t1", 1001, commit: true);
        Assert.Equal(17L, (await client.FetchOffsetAsync("t1", "orders", 0)).Offset);
        Assert.False(Groups.HasPendingTxnOffset("t1", new TopicPartition("orders", 0)));
    }

    [Fact]
    public async Task Txn_offsets_are_dropped_on_abort_leaving_the_committed_offset()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await client.CommitAsync("t2", -1, "", "orders", 1, 3));
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("t2", 1002, "orders", 1, 50)));
        Assert.Equal(3L, (await client.FetchOffsetAsync("t2", "orders", 1)).Offset);

        await WriteMarkerAsync("t2", 1002, commit: false);
        Assert.Equal(3L, (await client.FetchOffsetAsync("t2", "orders", 1)).Offset);
        Assert.False(Groups.HasPendingTxnOffset("t2", new TopicPartition("orders", 1)));
        Assert.Equal((ErrorCode.None, 3L), await FetchStableAsync(client, "t2", "orders", 1));
    }

    [Fact]
    public async Task Marker_of_another_producer_or_partition_leaves_pending_offsets_alone()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("t3", 1003, "orders", 0, 9)));
        var writer = new TxnMarkerWriter(_broker.Broker.Replicas, Groups, TimeProvider.System);
        int home = Groups.PartitionFor("t3");
        int other = (home + 1) % 3;
        Assert.Equal(ErrorCode.None, await writer.WriteMarkerAsync(new TopicPartition(GroupCoordinator.OffsetsTopic, other), 1003, Epoch, 0, commit: true));
        await WriteMarkerAsync("t3", 9999, commit: true);
        Assert.Equal(-1L, (await client.FetchOffsetAsync("t3", "orders", 0)).Offset);

        await WriteMarkerAsync("t3", 1003, commit: true);
        Assert.Equal(9L, (await client.FetchOffsetAsync("t3", "orders", 0)).Offset);
    }

    [Fact]
    public async Task An_ordinary_commit_appended_after_the_txn_record_wins_over_it()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("t4", 1004, "orders", 2, 100)));
        Assert.Equal(ErrorCode.None, await client.CommitAsync("t4", -1, "", "orders", 2, 120));
        await WriteMarkerAsync("t4", 1004, commit: true);
        Assert.Equal(120L, (await client.FetchOffsetAsync("t4", "orders", 2)).Offset);

        await _broker.RestartAsync();
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(120L, (await after.FetchOffsetAsync("t4", "orders", 2)).Offset);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Require_stable_fetch_answers_unstable_offset_commit_while_pending(short version)
    {
        string group = "stable-" + version;
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await client.CommitAsync(group, -1, "", "orders", 0, 5));
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit(group, 1100 + version, "orders", 0, 8)));

        Assert.Equal((ErrorCode.UnstableOffsetCommit, -1L), await FetchStableAsync(client, group, "orders", 0, version));
        Assert.Equal((ErrorCode.None, 5L), await FetchStableAsync(client, group, "orders", 0, version, requireStable: false));
        Assert.Equal((ErrorCode.None, -1L), await FetchStableAsync(client, group, "orders", 3, version));

        await WriteMarkerAsync(group, 1100 + version, commit: true);
        Assert.Equal((ErrorCode.None, 8L), await FetchStableAsync(client, group, "orders", 0, version));
    }

    [Fact]
    public async Task Restart_loads_committed_txn_offsets_drops_aborted_ones_and_keeps_open_ones_pending()
    {
        using (var client = await GroupClient.ConnectAsync(_broker))
        {
            Assert.Equal(ErrorCode.None, await client.CommitAsync("aborted", -1, "", "orders", 0, 4));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("committed", 2001, "orders", 0, 11)));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("aborted", 2002, "orders", 0, 22)));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("open", 2003, "orders", 0, 33)));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("committed", 2001, "orders", 1, 12)));
            await WriteMarkerAsync("committed", 2001, commit: true);
            await WriteMarkerAsync("aborted", 2002, commit: false);
        }

        await _broker.RestartAsync();
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(11L, (await after.FetchOffsetAsync("committed", "orders", 0)).Offset);
        Assert.Equal(12L, (await after.FetchOffsetAsync("committed", "orders", 1)).Offset);
        Assert.Equal(4L, (await after.FetchOffsetAsync("aborted", "orders", 0)).Offset);
        Assert.Equal(-1L, (await after.FetchOffsetAsync("open", "orders", 0)).Offset);
        Assert.Equal((ErrorCode.UnstableOffsetCommit, -1L), await FetchStableAsync(after, "open", "orders", 0));

        await WriteMarkerAsync("open", 2003, commit: true);
        Assert.Equal((ErrorCode.None, 33L), await FetchStableAsync(after, "open", "orders", 0));

        await _broker.RestartAsync();
        using var again = await GroupClient.ConnectAsync(_broker);
        Assert.Equal((ErrorCode.None, 33L), await FetchStableAsync(again, "open", "orders", 0));
    }

    [Fact]
    public async Task Open_transaction_aborted_after_a_restart_is_dropped()
    {
        using (var client = await GroupClient.ConnectAsync(_broker))
        {
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("open-abort", 2004, "orders", 3, 44)));
        }
        await _broker.RestartAsync();
        await WriteMarkerAsync("open-abort", 2004, commit: false);
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal((ErrorCode.None, -1L), await FetchStableAsync(after, "open-abort", "orders", 3));
        await _broker.RestartAsync();
        using var again = await GroupClient.ConnectAsync(_broker);
        Assert.Equal((ErrorCode.None, -1L), await FetchStableAsync(again, "open-abort", "orders", 3));
    }

    [Fact]
    public async Task Txn_offsets_are_one_transactional_batch_of_the_producer_in_the_groups_partition()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var request = TxnCommit("batch", 3001, "orders", 0, 1);
        request.Topics[0].Partitions.Add(new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition { PartitionIndex = 1, CommittedOffset = 2 });
        var response = await client.Connection.SendAsync<TxnOffsetCommitResponse>(request, 3);
        Assert.All(response.Topics[0].Partitions, p => Assert.Equal(0, p.ErrorCode));

        var log = _broker.Broker.Replicas.GetPartition(new TopicPartition(GroupCoordinator.OffsetsTopic, Groups.PartitionFor("batch")))!.Log;
        var batches = new List<(long ProducerId, short Epoch, int Sequence, bool Transactional, bool Control, int Records)>();
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> _) =>
        {
            batches.Add((header.ProducerId, header.ProducerEpoch, header.BaseSequence, header.IsTransactional, header.IsControl, header.RecordsCount));
            return true;
        });
        Assert.Contains((3001L, Epoch, RecordBatchHeader.NoSequence, true, false, 2), batches);
    }

    [Fact]
    public async Task V3_checks_generation_and_member_when_given()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var joined = await client.JoinNewMemberAsync("members");
        await client.SyncAsync("members", joined.GenerationId, joined.MemberId);

        Assert.Equal(ErrorCode.IllegalGeneration,
            await SendTxnCommitAsync(client, TxnCommit("members", 4001, "orders", 0, 1, generation: joined.GenerationId + 1, memberId: joined.MemberId)));
        Assert.Equal(ErrorCode.UnknownMemberId,
            await SendTxnCommitAsync(client, TxnCommit("members", 4001, "orders", 0, 1, generation: joined.GenerationId, memberId: "stranger")));
        Assert.Equal(ErrorCode.UnknownMemberId,
            await SendTxnCommitAsync(client, TxnCommit("nobody-here", 4001, "orders", 0, 1, generation: 1, memberId: "stranger")));
        Assert.False(Groups.HasPendingTxnOffset("members", new TopicPartition("orders", 0)));

        Assert.Equal(ErrorCode.None,
            await SendTxnCommitAsync(client, TxnCommit("members", 4001, "orders", 0, 7, generation: joined.GenerationId, memberId: joined.MemberId)));
        // Generation -1 with no member skips the check, even in a group with members (producers of older clients).
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("members", 4001, "orders", 1, 8)));
        await WriteMarkerAsync("members", 4001, commit: true);
        Assert.Equal(7L, (await client.FetchOffsetAsync("members", "orders", 0)).Offset);
        Assert.Equal(8L, (await client.FetchOffsetAsync("members", "orders", 1)).Offset);
    }

    [Fact]
    public async Task V3_fences_a_replaced_static_member()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var first = await client.JoinAsync(GroupClient.JoinRequest("static", instanceId: "instance-a"));
        Assert.Equal(0, first.ErrorCode);
        await client.SyncAsync("static", first.GenerationId, first.MemberId, (first.MemberId, [1]));

        Assert.Equal(ErrorCode.FencedInstanceId,
            await SendTxnCommitAsync(client, TxnCommit("static", 4002, "orders", 0, 1, generation: first.GenerationId, memberId: "old-member", instanceId: "instance-a")));
        Assert.Equal(ErrorCode.None,
            await SendTxnCommitAsync(client, TxnCommit("static", 4002, "orders", 0, 1, generation: first.GenerationId, memberId: first.MemberId, instanceId: "instance-a")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_version_round_trips_and_commits(short version)
    {
        string group = "v" + version;
        long producerId = 5000 + version;
        using var client = await GroupClient.ConnectAsync(_broker);
        var request = TxnCommit(group, producerId, "orders", 2, 60 + version, leaderEpoch: 4, metadata: "meta-" + version);
        Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, request, version));
        await WriteMarkerAsync(group, producerId, commit: true);

        var fetched = await client.Connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = "orders", PartitionIndexes = [2] }],
        }, 7);
        var p = fetched.Topics[0].Partitions[0];
        Assert.Equal(60L + version, p.CommittedOffset);
        Assert.Equal("meta-" + version, p.Metadata);
        Assert.Equal(version >= 2 ? 4 : -1, p.CommittedLeaderEpoch);
    }

    [Fact]
    public async Task Bad_requests_get_kafkas_errors()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.InvalidGroupId, await SendTxnCommitAsync(client, TxnCommit("", 6001, "orders", 0, 1)));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await SendTxnCommitAsync(client, TxnCommit("bad", 6001, "missing", 0, 1)));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await SendTxnCommitAsync(client, TxnCommit("bad", 6001, "orders", 4, 1)));
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge,
            await SendTxnCommitAsync(client, TxnCommit("bad", 6001, "orders", 0, 1, metadata: new string('m', _broker.Config.OffsetMetadataMaxBytes + 1))));
        Assert.False(Groups.HasPendingTxnOffset("bad", new TopicPartition("orders", 0)));
    }

    [Fact]
    public async Task Deleting_a_group_drops_its_pending_offsets_also_after_a_restart()
    {
        using (var client = await GroupClient.ConnectAsync(_broker))
        {
            Assert.Equal(ErrorCode.None, await client.CommitAsync("deleted", -1, "", "orders", 0, 1));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("deleted", 7001, "orders", 0, 2)));
            Assert.Equal(ErrorCode.None, await SendTxnCommitAsync(client, TxnCommit("deleted", 7001, "orders", 1, 3)));
            var deleted = await client.Connection.SendAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = ["deleted"] }, 2);
            Assert.Equal(0, Assert.Single(deleted.Results).ErrorCode);
            await WriteMarkerAsync("deleted", 7001, commit: true);
            Assert.Equal(-1L, (await client.FetchOffsetAsync("deleted", "orders", 0)).Offset);
            Assert.Equal(-1L, (await client.FetchOffsetAsync("deleted", "orders", 1)).Offset);
        }
        await _broker.RestartAsync();
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(-1L, (await after.FetchOffsetAsync("deleted", "orders", 0)).Offset);
        Assert.Equal(-1L, (await after.FetchOffsetAsync("deleted", "orders", 1)).Offset);
    }

    [Fact]
    public void Append_errors_map_as_kafkas_group_metadata_manager_maps_them()
    {
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, GroupCoordinator.TxnOffsetAppendError(ErrorCode.UnknownTopicOrPartition));
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, GroupCoordinator.TxnOffsetAppendError(ErrorCode.NotEnoughReplicas));
        Assert.Equal(ErrorCode.NotCoordinator, GroupCoordinator.TxnOffsetAppendError(ErrorCode.NotLeaderOrFollower));
        Assert.Equal(ErrorCode.NotCoordinator, GroupCoordinator.TxnOffsetAppendError(ErrorCode.KafkaStorageError));
        Assert.Equal(ErrorCode.InvalidCommitOffsetSize, GroupCoordinator.TxnOffsetAppendError(ErrorCode.MessageTooLarge));
        Assert.Equal(ErrorCode.InvalidCommitOffsetSize, GroupCoordinator.TxnOffsetAppendError(ErrorCode.RecordListTooLarge));
        Assert.Equal(ErrorCode.InvalidCommitOffsetSize, GroupCoordinator.TxnOffsetAppendError(ErrorCode.InvalidFetchSize));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, GroupCoordinator.TxnOffsetAppendError(ErrorCode.InvalidProducerEpoch));
        Assert.Equal(ErrorCode.ProducerFenced, GroupCoordinator.TxnOffsetAppendError(ErrorCode.ProducerFenced));
    }
}
