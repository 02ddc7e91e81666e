using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Coordinator;

/// <summary>The classic group protocol over real sockets: the answers and error codes Kafka gives.</summary>
public sealed class GroupCoordinatorTests : IAsyncLifetime
{
    private TestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with
        {
            GroupInitialRebalanceDelayMs = 0,
            GroupMinSessionTimeoutMs = 100,
            OffsetsTopicNumPartitions = 5,
        });
        using var admin = await _broker.ConnectAsync();
        await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("orders", 4), 5);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Find_coordinator_returns_this_broker_and_creates_the_offsets_topic()
    {
        using var client = await _broker.ConnectAsync();
        var v0 = await client.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = "g" }, 0);
        Assert.Equal(0, v0.ErrorCode);
        Assert.Equal(_broker.Port, v0.Port);
        var v4 = await client.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { CoordinatorKeys = ["a", "b"] }, 4);
        Assert.Equal(["a", "b"], v4.Coordinators.Select(c => c.Key));
        Assert.All(v4.Coordinators, c => Assert.Equal(0, c.NodeId));
        var metadata = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = null }, 9);
        var offsets = Assert.Single(metadata.Topics, t => t.Name == "__consumer_offsets");
        Assert.True(offsets.IsInternal);
        Assert.Equal(5, offsets.Partitions.Count);

        var delete = await client.SendAsync<DeleteTopicsResponse>(new DeleteTopicsRequest { TopicNames = ["__consumer_offsets"], TimeoutMs = 1000 }, 5);
        Assert.Equal((short)ErrorCode.InvalidRequest, delete.Responses[0].ErrorCode);
        var produce = await client.SendAsync<ProduceResponse>(Requests.Produce("__consumer_offsets", 0, Batches.Build(1)), 7);
        Assert.Equal((short)ErrorCode.InvalidTopicException, produce.Responses[0].PartitionResponses[0].ErrorCode);
    }

    [Fact]
    public async Task Member_id_required_then_join_sync_and_heartbeat()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var joined = await client.JoinNewMemberAsync("g1");
        Assert.Equal(0, joined.ErrorCode);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Equal("range", joined.ProtocolName);
        Assert.Single(joined.Members);

        var synced = await client.SyncAsync("g1", 1, joined.MemberId, (joined.MemberId, [9, 9]));
        Assert.Equal(0, synced.ErrorCode);
        Assert.Equal([9, 9], synced.Assignment);
        Assert.Equal(ErrorCode.None, await client.HeartbeatAsync("g1", 1, joined.MemberId));
    }

    [Fact]
    public async Task Heartbeat_errors_match_kafka()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.UnknownMemberId, await client.HeartbeatAsync("no-such-group", 1, "m"));
        var joined = await client.JoinNewMemberAsync("g2");
        await client.SyncAsync("g2", joined.GenerationId, joined.MemberId);
        Assert.Equal(ErrorCode.IllegalGeneration, await client.HeartbeatAsync("g2", joined.GenerationId + 5, joined.MemberId));
        Assert.Equal(ErrorCode.UnknownMemberId, await client.HeartbeatAsync("g2", joined.GenerationId, "stranger"));
    }

    [Fact]
    public async Task A_new_member_triggers_a_rebalance_and_both_get_the_next_generation()
    {
        using var a = await GroupClient.ConnectAsync(_broker);
        using var b = await GroupClient.ConnectAsync(_broker);
        var first = await a.JoinNewMemberAsync("g3");
        await a.SyncAsync("g3", 1, first.MemberId, (first.MemberId, [1]));

        var bJoin = b.JoinNewMemberAsync("g3");
        await Eventually.True(() => a.HeartbeatAsync("g3", 1, first.MemberId).Result == ErrorCode.RebalanceInProgress, "a rebalance to start");
        var aRejoin = await a.JoinAsync(GroupClient.JoinRequest("g3", first.MemberId));
        var bJoined = await bJoin;
        Assert.Equal(2, aRejoin.GenerationId);
        Assert.Equal(2, bJoined.GenerationId);
        Assert.Equal(first.MemberId, aRejoin.Leader);
        Assert.Equal(2, aRejoin.Members.Count);
        Assert.Empty(bJoined.Members);

        var bSync = b.SyncAsync("g3", 2, bJoined.MemberId);
        var aSync = await a.SyncAsync("g3", 2, first.MemberId, (first.MemberId, [1]), (bJoined.MemberId, [2]));
        Assert.Equal([1], aSync.Assignment);
        Assert.Equal([2], (await bSync).Assignment);
    }

    [Fact]
    public async Task Inconsistent_protocol_is_refused_without_disturbing_the_group()
    {
        using var good = await GroupClient.ConnectAsync(_broker);
        using var bad = await GroupClient.ConnectAsync(_broker);
        var joined = await good.JoinNewMemberAsync("g4");
        await good.SyncAsync("g4", 1, joined.MemberId);
        var wrongType = await bad.JoinAsync(GroupClient.JoinRequest("g4", protocolType: "connect"));
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, wrongType.ErrorCode);
        var noCommonProtocol = await bad.JoinAsync(GroupClient.JoinRequest("g4", protocols: ["roundrobin"]));
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, noCommonProtocol.ErrorCode);
        Assert.Equal(ErrorCode.None, await good.HeartbeatAsync("g4", 1, joined.MemberId));
    }

    [Fact]
    public async Task Sync_from_a_non_member_is_unknown_member_id()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var joined = await client.JoinNewMemberAsync("g5");
        var stranger = await client.SyncAsync("g5", joined.GenerationId, "stranger");
        Assert.Equal((short)ErrorCode.UnknownMemberId, stranger.ErrorCode);
        var unknownGroup = await client.SyncAsync("nobody", 1, "stranger");
        Assert.Equal((short)ErrorCode.UnknownMemberId, unknownGroup.ErrorCode);
        Assert.Equal(0, (await client.SyncAsync("g5", joined.GenerationId, joined.MemberId)).ErrorCode);
    }

    [Fact]
    public async Task Offset_commit_checks_generation_and_returns_metadata_as_stored()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        var joined = await client.JoinNewMemberAsync("g6");
        await client.SyncAsync("g6", joined.GenerationId, joined.MemberId);
        Assert.Equal(ErrorCode.IllegalGeneration, await client.CommitAsync("g6", joined.GenerationId - 1, joined.MemberId, "orders", 0, 5));
        Assert.Equal(ErrorCode.UnknownMemberId, await client.CommitAsync("g6", joined.GenerationId, "stranger", "orders", 0, 5));
        Assert.Equal(ErrorCode.None, await client.CommitAsync("g6", joined.GenerationId, joined.MemberId, "orders", 1, 42, "checkpoint ✓"));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await client.CommitAsync("g6", joined.GenerationId, joined.MemberId, "orders", 99, 1));
        Assert.Equal((42L, "checkpoint ✓"), await client.FetchOffsetAsync("g6", "orders", 1));
        Assert.Equal(-1L, (await client.FetchOffsetAsync("g6", "orders", 2)).Offset);
    }

    [Fact]
    public async Task Commit_during_a_rebalance_of_a_completing_group_is_rebalance_in_progress()
    {
        using var a = await GroupClient.ConnectAsync(_broker);
        var joined = await a.JoinNewMemberAsync("g7");
        // Joined but not synced: the group is CompletingRebalance.
        Assert.Equal(ErrorCode.RebalanceInProgress, await a.CommitAsync("g7", joined.GenerationId, joined.MemberId, "orders", 0, 1));
    }

    [Fact]
    public async Task Simple_commits_work_without_a_group_and_fetch_all_partitions()
    {
        using var client = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(ErrorCode.None, await client.CommitAsync("standalone", -1, "", "orders", 0, 7));
        Assert.Equal(ErrorCode.None, await client.CommitAsync("standalone", -1, "", "orders", 3, 9));
        var all = await client.Connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "standalone", Topics = null }, 7);
        Assert.Equal([(0, 7L), (3, 9L)], all.Topics.Single().Partitions.Select(p => (p.PartitionIndex, p.CommittedOffset)));

        var several = new OffsetFetchRequest();
        several.Groups.Add(new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = "standalone", Topics = null });
        several.Groups.Add(new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = "nobody", Topics = null });
        var v8 = await client.Connection.SendAsync<OffsetFetchResponse>(several, 8);
        Assert.Equal(2, v8.Groups[0].Topics.Single().Partitions.Count);
        Assert.Empty(v8.Groups[1].Topics);
    }

    [Fact]
    public async Task A_member_that_stops_heartbeating_is_removed_after_its_session_timeout()
    {
        using var a = await GroupClient.ConnectAsync(_broker);
        using var b = await GroupClient.ConnectAsync(_broker);
        var aJoin = await a.JoinNewMemberAsync("g8", sessionTimeoutMs: 2_000);
        await a.SyncAsync("g8", 1, aJoin.MemberId);
        var bPending = b.JoinNewMemberAsync("g8", sessionTimeoutMs: 300);
        await Eventually.True(() => a.HeartbeatAsync("g8", 1, aJoin.MemberId).Result == ErrorCode.RebalanceInProgress, "the rebalance");
        var aRejoin = await a.JoinAsync(GroupClient.JoinRequest("g8", aJoin.MemberId, sessionTimeoutMs: 2_000));
        var bJoined = await bPending;
        Assert.Equal(2, aRejoin.Members.Count);
        await a.SyncAsync("g8", 2, aJoin.MemberId);
        // b never syncs nor heartbeats: after 300 ms it is gone and a must rejoin alone.
        await Eventually.True(() => a.HeartbeatAsync("g8", 2, aJoin.MemberId).Result == ErrorCode.RebalanceInProgress, "b's session to expire");
        var alone = await a.JoinAsync(GroupClient.JoinRequest("g8", aJoin.MemberId, sessionTimeoutMs: 2_000));
        Assert.Equal(3, alone.GenerationId);
        Assert.Single(alone.Members);
        Assert.Equal(ErrorCode.UnknownMemberId, await b.HeartbeatAsync("g8", 3, bJoined.MemberId));
    }

    [Fact]
    public async Task Leave_group_removes_the_member_and_empties_the_group()
    {
        using var a = await GroupClient.ConnectAsync(_broker);
        var joined = await a.JoinNewMemberAsync("g9");
        await a.SyncAsync("g9", 1, joined.MemberId);
        var leave = new LeaveGroupRequest { GroupId = "g9" };
        leave.Members.Add(new LeaveGroupRequest.MemberIdentity { MemberId = joined.MemberId });
        leave.Members.Add(new LeaveGroupRequest.MemberIdentity { MemberId = "stranger" });
        var response = await a.Connection.SendAsync<LeaveGroupResponse>(leave, 5);
        Assert.Equal([(short)ErrorCode.None, (short)ErrorCode.UnknownMemberId], response.Members.Select(m => m.ErrorCode));
        var described = await a.Connection.SendAsync<DescribeGroupsResponse>(new DescribeGroupsRequest { Groups = ["g9"] }, 5);
        Assert.Equal("Empty", described.Groups[0].GroupState);
    }

    [Fact]
    public async Task A_second_instance_with_the_same_group_instance_id_fences_the_first()
    {
        using var first = await GroupClient.ConnectAsync(_broker);
        using var second = await GroupClient.ConnectAsync(_broker);
        var joined = await first.JoinAsync(GroupClient.JoinRequest("static", instanceId: "node-1"));
        Assert.Equal(0, joined.ErrorCode);
        await first.SyncAsync("static", joined.GenerationId, joined.MemberId, (joined.MemberId, [5]));
        Assert.Equal(ErrorCode.None, await first.HeartbeatAsync("static", joined.GenerationId, joined.MemberId, "node-1"));

        var replaced = await second.JoinAsync(GroupClient.JoinRequest("static", instanceId: "node-1"));
        Assert.Equal(0, replaced.ErrorCode);
        Assert.NotEqual(joined.MemberId, replaced.MemberId);
        Assert.Equal(ErrorCode.FencedInstanceId, await first.HeartbeatAsync("static", joined.GenerationId, joined.MemberId, "node-1"));
    }

    [Fact]
    public async Task Group_max_size_is_enforced()
    {
        await using var broker = await TestBroker.StartAsync(c => c with { GroupInitialRebalanceDelayMs = 0, GroupMaxSize = 1, OffsetsTopicNumPartitions = 1 });
        using var a = await GroupClient.ConnectAsync(broker);
        using var b = await GroupClient.ConnectAsync(broker);
        var joined = await a.JoinNewMemberAsync("small");
        await a.SyncAsync("small", 1, joined.MemberId);
        var refused = await b.JoinAsync(GroupClient.JoinRequest("small"));
        Assert.Equal((short)ErrorCode.GroupMaxSizeReached, refused.ErrorCode);
    }

    [Fact]
    public async Task Initial_rebalance_delay_gathers_members_into_the_first_generation()
    {
        await using var broker = await TestBroker.StartAsync(c => c with { GroupInitialRebalanceDelayMs = 500, OffsetsTopicNumPartitions = 1 });
        using var a = await GroupClient.ConnectAsync(broker);
        using var b = await GroupClient.ConnectAsync(broker);
        var aId = (await a.JoinAsync(GroupClient.JoinRequest("delayed"))).MemberId;
        var bId = (await b.JoinAsync(GroupClient.JoinRequest("delayed"))).MemberId;
        var aJoin = a.JoinAsync(GroupClient.JoinRequest("delayed", aId));
        var bJoin = b.JoinAsync(GroupClient.JoinRequest("delayed", bId));
        Assert.Equal(1, (await aJoin).GenerationId);
        Assert.Equal(1, (await bJoin).GenerationId);
    }

    [Fact]
    public async Task Delete_groups_refuses_non_empty_and_unknown_groups()
    {
        using var a = await GroupClient.ConnectAsync(_broker);
        var joined = await a.JoinNewMemberAsync("busy");
        await a.SyncAsync("busy", 1, joined.MemberId);
        await a.CommitAsync("idle", -1, "", "orders", 0, 3);
        var response = await a.Connection.SendAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = ["busy", "idle", "ghost"] }, 2);
        var codes = response.Results.ToDictionary(r => r.GroupId, r => (ErrorCode)r.ErrorCode);
        Assert.Equal(ErrorCode.NonEmptyGroup, codes["busy"]);
        Assert.Equal(ErrorCode.None, codes["idle"]);
        Assert.Equal(ErrorCode.GroupIdNotFound, codes["ghost"]);
        Assert.Equal(-1L, (await a.FetchOffsetAsync("idle", "orders", 0)).Offset);
    }

    [Fact]
    public async Task Committed_offsets_and_groups_survive_a_restart()
    {
        using (var a = await GroupClient.ConnectAsync(_broker))
        {
            var joined = await a.JoinNewMemberAsync("durable");
            await a.SyncAsync("durable", 1, joined.MemberId, (joined.MemberId, [7]));
            Assert.Equal(ErrorCode.None, await a.CommitAsync("durable", 1, joined.MemberId, "orders", 2, 1234, "m"));
            await a.CommitAsync("deleted-later", -1, "", "orders", 0, 1);
            await a.Connection.SendAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = ["deleted-later"] }, 2);
        }
        await _broker.RestartAsync();
        using var b = await GroupClient.ConnectAsync(_broker);
        Assert.Equal((1234L, "m"), await b.FetchOffsetAsync("durable", "orders", 2));
        Assert.Equal(-1L, (await b.FetchOffsetAsync("deleted-later", "orders", 0)).Offset);
        var listed = await b.Connection.SendAsync<ListGroupsResponse>(new ListGroupsRequest(), 4);
        Assert.Contains(listed.Groups, g => g.GroupId == "durable");
        Assert.DoesNotContain(listed.Groups, g => g.GroupId == "deleted-later");
    }
}
