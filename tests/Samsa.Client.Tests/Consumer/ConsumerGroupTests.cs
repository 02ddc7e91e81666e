using Samsa.Protocol;

namespace Samsa.Client.Tests.Consumer;

/// <summary>Consumers in a group: membership, rebalances and their callbacks, commits, failures.</summary>
public sealed class ConsumerGroupTests
{
    private static TopicPartition[] Partitions(string topic, params int[] partitions) => [.. partitions.Select(p => new TopicPartition(topic, p))];

    [Fact]
    public async Task A_new_consumer_resumes_at_the_offset_the_closed_one_committed()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 2);
        await cluster.ProduceAsync("t", 0, 10, "a");
        await cluster.ProduceAsync("t", 1, 10, "b");
        var config = cluster.Config("g", c => c.EnableAutoCommit = false);

        using (var first = cluster.Consumer(config))
        {
            first.Subscribe("t");
            var read = ConsumerTestCluster.ConsumeN(first, 20);
            Assert.Equal(20, read.Count);
            // Commit up to a6 and b3: the next reader starts at a7 and b4.
            first.Commit([new TopicPartitionOffset("t", 0, 7), new TopicPartitionOffset("t", 1, 4)]);
            Assert.Equal([7L, 4], first.Committed(Partitions("t", 0, 1), TimeSpan.FromSeconds(10)).Select(o => o.Offset.Value));
            first.Close();
        }

        using var second = cluster.Consumer(config);
        second.Subscribe("t");
        var resumed = ConsumerTestCluster.ConsumeN(second, 9);
        Assert.Equal(["a7", "a8", "a9"], resumed.Where(r => r.Partition == 0).Select(r => r.Message.Value));
        Assert.Equal(["b4", "b5", "b6", "b7", "b8", "b9"], resumed.Where(r => r.Partition == 1).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Auto_commit_on_close_commits_what_was_consumed()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 10);
        var config = cluster.Config("g", c => c.AutoCommitIntervalMs = 60_000);

        using (var first = cluster.Consumer(config))
        {
            first.Subscribe("t");
            Assert.Equal(4, ConsumerTestCluster.ConsumeN(first, 4).Count);
            first.Close();
        }

        using var second = cluster.Consumer(config);
        second.Subscribe("t");
        Assert.Equal("v4", ConsumerTestCluster.ConsumeN(second, 1)[0].Message.Value);
    }

    [Fact]
    public async Task StoreOffset_without_auto_store_commits_only_stored_offsets()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 10);
        var config = cluster.Config("g", c =>
        {
            c.EnableAutoCommit = false;
            c.EnableAutoOffsetStore = false;
        });

        using (var first = cluster.Consumer(config))
        {
            first.Subscribe("t");
            var read = ConsumerTestCluster.ConsumeN(first, 6);
            first.StoreOffset(read[2]);
            Assert.Equal([new TopicPartitionOffset("t", 0, 3)], first.Commit());
            first.Close();
        }

        using var second = cluster.Consumer(config);
        second.Subscribe("t");
        Assert.Equal("v3", ConsumerTestCluster.ConsumeN(second, 1)[0].Message.Value);
    }

    [Fact]
    public async Task CommitAsync_commits_the_positions_of_what_was_consumed()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 10);
        using var consumer = cluster.Consumer(cluster.Config("g", c => c.EnableAutoCommit = false));
        consumer.Subscribe("t");
        Assert.Equal(6, ConsumerTestCluster.ConsumeN(consumer, 6).Count);

        var committed = await consumer.CommitAsync();

        Assert.Equal([new TopicPartitionOffset("t", 0, 6)], committed);
        Assert.Equal(6, consumer.Committed(Partitions("t", 0), ConsumerTestCluster.Deadline)[0].Offset.Value);
        Assert.Empty(await consumer.CommitAsync());
    }

    [Theory]
    [InlineData("range")]
    [InlineData("cooperative-sticky")]
    public async Task Close_leaves_the_group_so_the_others_take_over_without_waiting_for_the_session_timeout(string strategy)
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 4);
        var config = cluster.Config("g", c =>
        {
            c.SessionTimeoutMs = 60_000;
            c.PartitionAssignmentStrategy = strategy;
        });
        using var a = new GroupMember("a", cluster, config, ["t"]);
        using var b = new GroupMember("b", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 2 && b.Owned.Count == 2));
        var bHeld = b.Owned;

        b.Stop(close: true);

        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 4, TimeSpan.FromSeconds(20)));
        var (kind, partitions, _) = b.Events.Last();
        Assert.Equal("revoked", kind);
        Assert.True(partitions.ToHashSet().SetEquals(bHeld));
        GroupMember.AssertNoSharedOwnership(a, b);
    }

    [Theory]
    [InlineData("range")]
    [InlineData("cooperative-sticky")]
    public async Task Two_members_share_the_partitions_and_a_third_joining_rebalances(string strategy)
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 6);
        var config = cluster.Config("g", c => c.PartitionAssignmentStrategy = strategy);
        var all = Partitions("t", 0, 1, 2, 3, 4, 5).ToHashSet();

        using var a = new GroupMember("a", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.SetEquals(all)), "the first member gets everything");
        using var b = new GroupMember("b", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 3 && b.Owned.Count == 3 && !a.Owned.Overlaps(b.Owned)),
            $"two members split 6 partitions: a {string.Join(",", a.Owned)} b {string.Join(",", b.Owned)}");
        var aBefore = a.Owned;
        using var c = new GroupMember("c", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 2 && b.Owned.Count == 2 && c.Owned.Count == 2
            && a.Owned.Union(b.Owned).Union(c.Owned).ToHashSet().SetEquals(all)), "three members split 6 partitions");

        // Every record is read once a member owns its partition.
        for (int p = 0; p < 6; p++)
        {
            await cluster.ProduceAsync("t", p, 5, $"p{p}-");
        }
        Assert.True(ConsumerTestCluster.Eventually(() => a.Consumed.Count + b.Consumed.Count + c.Consumed.Count == 30));
        GroupMember.AssertNoSharedOwnership(a, b, c);
        foreach (var member in new[] { a, b, c })
        {
            Assert.All(member.Consumed, r => Assert.Contains(r.TopicPartition, member.Owned));
            Assert.Equal(0, member.OffThreadCallbacks);
            Assert.Empty(member.Errors);
        }
        var aEvents = a.Events.ToList();
        if (strategy == "range")
        {
            // Eager: before each rejoin a member revokes everything it holds, then gets its whole new share.
            var owned = new HashSet<TopicPartition>();
            foreach (var (kind, partitions, _) in aEvents)
            {
                if (kind == "revoked")
                {
                    Assert.True(owned.SetEquals(partitions), "an eager revoke gives up every partition");
                    owned.Clear();
                }
                else
                {
                    Assert.Empty(owned);
                    owned.UnionWith(partitions);
                }
            }
            Assert.True(aEvents.Count(e => e.Kind == "revoked") >= 2);
        }
        else
        {
            // Cooperative: only what moves is revoked (6 -> 3 -> 2), nothing is revoked and handed back, and the first
            // member, which only gives partitions away, is assigned nothing new after its first assignment.
            Assert.Equal(4, aEvents.Where(e => e.Kind == "revoked").Sum(e => e.Partitions.Length));
            Assert.All(aEvents.Skip(1).Where(e => e.Kind == "assigned"), e => Assert.Empty(e.Partitions));
            Assert.True(a.Owned.IsSubsetOf(aBefore), "sticky: the first member keeps two of its three");
        }
    }

    [Fact]
    public async Task A_member_that_crashes_loses_its_partitions_to_the_others_after_the_session_timeout()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 4);
        var config = cluster.Config("g", c => c.SessionTimeoutMs = 1500);
        using var a = new GroupMember("a", cluster, config, ["t"]);
        using var b = new GroupMember("b", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 2 && b.Owned.Count == 2));

        b.Stop(close: false);

        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 4), "the survivor takes over");
        for (int p = 0; p < 4; p++)
        {
            await cluster.ProduceAsync("t", p, 2);
        }
        Assert.True(ConsumerTestCluster.Eventually(() => a.Consumed.Count >= 8));
    }

    [Fact]
    public async Task A_member_that_stops_calling_Consume_leaves_after_max_poll_interval_and_its_partitions_are_lost()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 4);
        var config = cluster.Config("g");
        var stuckConfig = cluster.Config("g", c => c.MaxPollIntervalMs = 1000);
        using var a = new GroupMember("a", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 4));
        using var b = new GroupMember("b", cluster, stuckConfig, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 2 && b.Owned.Count == 2));

        b.Stall();

        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 4), "the other member gets the stalled one's partitions");
        Assert.True(b.Consumer.MemberId.Length == 0, "the stalled member left the group");

        // Back in Consume, the member learns its partitions were lost (not revoked: others own them) and rejoins.
        var bHeld = b.Owned;
        b.Unstall();
        Assert.True(ConsumerTestCluster.Eventually(() => a.Owned.Count == 2 && b.Owned.Count == 2));
        Assert.Contains(b.Events, e => e.Kind == "lost" && e.Partitions.ToHashSet().SetEquals(bHeld));
        Assert.DoesNotContain(b.Events, e => e.Kind == "revoked");
    }

    [Fact]
    public async Task A_group_member_keeps_consuming_across_a_broker_restart()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 2);
        await cluster.ProduceAsync("t", 0, 5, "before");
        using var a = new GroupMember("a", cluster, cluster.Config("g", c => c.AutoCommitIntervalMs = 100), ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => a.Consumed.Count == 5));

        await cluster.Broker.RestartAsync();
        await using var connection = await Network.KafkaConnection.ConnectAsync(cluster.Broker.BootstrapServers);
        var produce = new Protocol.Messages.ProduceRequest { Acks = -1, TimeoutMs = 10_000 };
        using var builder = new Protocol.Records.RecordBatchBuilder();
        builder.Append(0, null, "after"u8.ToArray());
        produce.TopicData.Add(new Protocol.Messages.ProduceRequest.TopicProduceData
        {
            Name = "t",
            PartitionData = [new Protocol.Messages.ProduceRequest.PartitionProduceData { Index = 1, Records = builder.ToArray() }],
        });
        await connection.SendAsync<Protocol.Messages.ProduceResponse>(produce, 9);

        Assert.True(ConsumerTestCluster.Eventually(() => a.Consumed.Any(r => r.Message.Value == "after")), "the record written after the restart arrives");
        Assert.Equal(6, a.Consumed.Count);
    }

    [Fact]
    public async Task A_second_member_with_the_same_group_instance_id_fences_the_first()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 2);
        var config = cluster.Config("g", c => c.GroupInstanceId = "instance-1");
        using var first = new GroupMember("first", cluster, config, ["t"]);
        Assert.True(ConsumerTestCluster.Eventually(() => first.Owned.Count == 2));

        using var second = new GroupMember("second", cluster, config, ["t"]);

        Assert.True(ConsumerTestCluster.Eventually(() => second.Owned.Count == 2), "the new instance takes the static member's place");
        Assert.True(ConsumerTestCluster.Eventually(() => first.Errors.Any(e => e is KafkaException { Error: ErrorCode.FencedInstanceId, IsFatal: true })),
            "the old instance is fenced");
    }

    [Fact]
    public async Task A_regex_subscription_picks_up_a_new_matching_topic()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("orders-eu", 1);
        await cluster.CreateTopicAsync("payments", 1);
        await cluster.ProduceAsync("orders-eu", 0, 1, "eu");
        await cluster.ProduceAsync("payments", 0, 1, "pay");
        var config = cluster.Config("g", c => c.MetadataMaxAgeMs = 200);
        using var consumer = cluster.Consumer(config);
        consumer.Subscribe("^orders-.*");
        Assert.Equal("eu0", ConsumerTestCluster.ConsumeN(consumer, 1)[0].Message.Value);

        await cluster.CreateTopicAsync("orders-us", 1);
        await cluster.ProduceAsync("orders-us", 0, 1, "us");

        Assert.Equal("us0", ConsumerTestCluster.ConsumeN(consumer, 1)[0].Message.Value);
        Assert.DoesNotContain(consumer.Assignment, p => p.Topic == "payments");
        Assert.Equal(2, consumer.Assignment.Count);
    }
}
