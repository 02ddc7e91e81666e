using System.Buffers.Binary;
using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;
using static Samsa.Client.Tests.Assignors.AssignmentCheck;

namespace Samsa.Client.Tests.Assignors;

public sealed class CooperativeStickyAssignorTests
{
    // kafka-python 2.0.2's StickyAssignorUserDataV1([('orders', [0, 1])], 7).encode(): the layout librdkafka's
    // sticky assignors put in their user data ([topic [partition]] then the generation).
    private static readonly byte[] StickyUserDataGeneration7 = Convert.FromHexString(
        "0000000100066f726465727300000002000000000000000100000007");

    private readonly CooperativeStickyAssignor _assignor = new();

    [Fact]
    public void User_data_is_the_generation_as_java_writes_it()
    {
        var data = _assignor.SubscriptionUserData([new TopicPartition("t", 0)], 12);
        Assert.Equal(12, BinaryPrimitives.ReadInt32BigEndian(data));
        Assert.Equal(4, data!.Length);
    }

    [Fact]
    public void New_group_spreads_partitions_evenly()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 4 },
            new Dictionary<string, MemberSubscription> { ["B"] = Member("t"), ["A"] = Member("t") });

        Assert.Equal(["t-0", "t-2"], Of(result, "A"));
        Assert.Equal(["t-1", "t-3"], Of(result, "B"));
    }

    [Fact]
    public void Joining_member_gets_moved_partitions_only_after_they_are_revoked()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["t"] = 6 };
        var first = _assignor.Assign(partitionsPerTopic, new Dictionary<string, MemberSubscription>
        {
            ["A"] = Owning(["t"], 1, "t-0", "t-1", "t-2"),
            ["B"] = Owning(["t"], 1, "t-3", "t-4", "t-5"),
            ["C"] = Member("t"),
        });

        // One partition each is revoked from A and B; nobody gets them yet.
        Assert.Equal(["t-1", "t-2"], Of(first, "A"));
        Assert.Equal(["t-4", "t-5"], Of(first, "B"));
        Assert.Empty(Of(first, "C"));

        var second = _assignor.Assign(partitionsPerTopic, new Dictionary<string, MemberSubscription>
        {
            ["A"] = Owning(["t"], 2, "t-1", "t-2"),
            ["B"] = Owning(["t"], 2, "t-4", "t-5"),
            ["C"] = Owning(["t"], 2),
        });

        Assert.Equal(["t-1", "t-2"], Of(second, "A"));
        Assert.Equal(["t-4", "t-5"], Of(second, "B"));
        Assert.Equal(["t-0", "t-3"], Of(second, "C"));
    }

    [Fact]
    public void Departed_members_partitions_go_to_the_others_at_once()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 6 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["t"], 4, "t-0", "t-1"),
                ["B"] = Owning(["t"], 4, "t-2", "t-3"),
            });

        Assert.Equal(["t-0", "t-1", "t-4"], Of(result, "A"));
        Assert.Equal(["t-2", "t-3", "t-5"], Of(result, "B"));
    }

    [Fact]
    public void Higher_generation_claim_wins_a_contested_partition()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 4 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["t"], 2, "t-0", "t-2"),
                ["B"] = Owning(["t"], 3, "t-0", "t-1"),
            });

        Assert.Equal(["t-2", "t-3"], Of(result, "A"));
        Assert.Equal(["t-0", "t-1"], Of(result, "B"));
    }

    [Theory]
    [InlineData(7, 6, new[] { "orders-0", "orders-1" }, new[] { "orders-2", "orders-3" })]
    [InlineData(5, 6, new[] { "orders-1", "orders-3" }, new[] { "orders-0", "orders-2" })]
    public void Generation_comes_from_user_data_when_the_subscription_lacks_it(
        int stickyGeneration, int javaGeneration, string[] expectedA, string[] expectedB)
    {
        // A speaks librdkafka's sticky user data, B Java's cooperative-sticky user data; neither sends a v2 generation.
        var stickyUserData = (byte[])StickyUserDataGeneration7.Clone();
        BinaryPrimitives.WriteInt32BigEndian(stickyUserData.AsSpan(stickyUserData.Length - 4), stickyGeneration);
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["orders"] = 4 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["orders"], -1, "orders-0", "orders-1") with { UserData = stickyUserData },
                ["B"] = Owning(["orders"], -1, "orders-0", "orders-2") with { UserData = _assignor.SubscriptionUserData([], javaGeneration) },
            });

        Assert.Equal(expectedA, Of(result, "A"));
        Assert.Equal(expectedB, Of(result, "B"));
    }

    [Fact]
    public void Assigns_librdkafka_members_from_their_real_subscriptions()
    {
        var subscriptions = new Dictionary<string, MemberSubscription>
        {
            ["c1"] = MemberSubscription.From(ConsumerProtocolCodec.DecodeSubscription(ConsumerProtocolCodecTests.LibrdkafkaSubscriptionC1), null),
            ["c2"] = MemberSubscription.From(ConsumerProtocolCodec.DecodeSubscription(ConsumerProtocolCodecTests.LibrdkafkaSubscriptionC2), null),
        };
        // c1's generation (2) is in its sticky user data; c0 below claims orders-2 at generation 1 and loses it.
        subscriptions["c0"] = Owning(["orders"], 1, "orders-2");

        var result = _assignor.Assign(new Dictionary<string, int> { ["orders"] = 6 }, subscriptions);

        Assert.Equal(["orders-2", "orders-3"], Of(result, "c1"));
        Assert.Equal(["orders-0", "orders-4"], Of(result, "c0"));
        Assert.Equal(["orders-1", "orders-5"], Of(result, "c2"));
    }

    [Fact]
    public void Partition_claimed_twice_in_one_generation_goes_to_one_claimant_at_once()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 4 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["t"], 3, "t-0", "t-1"),
                ["B"] = Owning(["t"], 3, "t-0", "t-2"),
            });

        Assert.Equal(["t-0", "t-1"], Of(result, "A"));
        Assert.Equal(["t-2", "t-3"], Of(result, "B"));
    }

    [Fact]
    public void Partition_of_a_topic_its_owner_dropped_is_revoked_before_it_moves()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["t"] = 2, ["u"] = 1 };
        var first = _assignor.Assign(partitionsPerTopic, new Dictionary<string, MemberSubscription>
        {
            ["A"] = Owning(["t"], 1, "t-0", "t-1", "u-0"),
            ["B"] = Member("t", "u"),
        });

        Assert.Equal(["t-0", "t-1"], Of(first, "A"));
        Assert.Empty(Of(first, "B"));

        var second = _assignor.Assign(partitionsPerTopic, new Dictionary<string, MemberSubscription>
        {
            ["A"] = Owning(["t"], 2, "t-0", "t-1"),
            ["B"] = Owning(["t", "u"], 2),
        });

        Assert.Equal(["t-0", "t-1"], Of(second, "A"));
        Assert.Equal(["u-0"], Of(second, "B"));
    }

    [Fact]
    public void Balances_along_a_chain_of_members_with_different_subscriptions()
    {
        // A can give only to B (topic x) and B only to C (topic y): C gets its partition through B.
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["x"] = 4, ["y"] = 2 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["x"], 1, "x-0", "x-1", "x-2", "x-3"),
                ["B"] = Owning(["x", "y"], 1, "y-0", "y-1"),
                ["C"] = Owning(["y"], 1),
            });
        var settled = _assignor.Assign(
            new Dictionary<string, int> { ["x"] = 4, ["y"] = 2 },
            new Dictionary<string, MemberSubscription>
            {
                ["A"] = Owning(["x"], 2, Of(result, "A")),
                ["B"] = Owning(["x", "y"], 2, Of(result, "B")),
                ["C"] = Owning(["y"], 2, Of(result, "C")),
            });

        Assert.Equal([2, 2, 2], new[] { "A", "B", "C" }.Select(m => settled[m].Partitions.Count));
    }

    [Fact]
    public void Random_groups_converge_to_a_balanced_assignment_that_then_stays_put()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var (partitionsPerTopic, subscriptions) = RandomGroups.Create(random, sameSubscription: seed % 3 == 0);
            var group = new GroupSimulation(_assignor, partitionsPerTopic, subscriptions.ToDictionary(s => s.Key, s => s.Value.Topics.ToArray()), random);
            string context = $"seed {seed}";

            var settled = group.RebalanceUntilComplete(context);
            AssertBalanced(group.Subscriptions(), settled, context);

            var again = group.Rebalance(context);
            foreach (var (member, assignment) in settled)
            {
                Assert.Equal(assignment.Partitions, again[member].Partitions);
            }
        }
    }

    [Fact]
    public void Random_membership_changes_never_give_a_partition_another_member_still_owns()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var (partitionsPerTopic, subscriptions) = RandomGroups.Create(random, sameSubscription: seed % 2 == 0);
            var group = new GroupSimulation(_assignor, partitionsPerTopic, subscriptions.ToDictionary(s => s.Key, s => s.Value.Topics.ToArray()), random);
            for (int round = 0; round < 8; round++)
            {
                // GroupSimulation.Rebalance checks the cooperative rule on every round.
                group.Rebalance($"seed {seed} round {round}");
                group.ChangeMembership(sameSubscription: seed % 2 == 0);
            }
            var settled = group.RebalanceUntilComplete($"seed {seed} final");
            AssertBalanced(group.Subscriptions(), settled, $"seed {seed} final");
        }
    }

    [Fact]
    public void With_equal_subscriptions_no_member_both_loses_and_gains_partitions()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var (partitionsPerTopic, subscriptions) = RandomGroups.Create(random, sameSubscription: true);
            var group = new GroupSimulation(_assignor, partitionsPerTopic, subscriptions.ToDictionary(s => s.Key, s => s.Value.Topics.ToArray()), random);
            group.RebalanceUntilComplete($"seed {seed} start");
            group.ChangeMembership(sameSubscription: true);

            var before = group.OwnedSnapshot();
            var after = group.RebalanceUntilComplete($"seed {seed} after change");
            foreach (var (member, owned) in before)
            {
                if (!after.TryGetValue(member, out var assignment))
                {
                    continue;
                }
                bool lost = owned.Any(p => !assignment.Partitions.Contains(p));
                bool gained = assignment.Partitions.Any(p => !owned.Contains(p));
                Assert.False(lost && gained, $"seed {seed}: {member} owned [{string.Join(",", owned)}], now [{string.Join(",", assignment.Partitions)}]");
            }
            var counts = after.Values.Select(a => a.Partitions.Count).ToList();
            Assert.True(counts.Max() - counts.Min() <= 1, $"seed {seed}: counts {string.Join(",", counts)}");
        }
    }
    [Fact]
    public void Large_group_keeps_every_owned_partition_it_can_when_members_join()
    {
        var partitionsPerTopic = Enumerable.Range(0, 20).ToDictionary(t => $"topic{t}", _ => 50);
        string[] allTopics = partitionsPerTopic.Keys.ToArray();
        var topics = Enumerable.Range(0, 100).ToDictionary(m => $"member-{m:D3}", _ => allTopics);
        var group = new GroupSimulation(_assignor, partitionsPerTopic, topics, new Random(1));
        group.RebalanceUntilComplete("start");

        for (int m = 100; m < 125; m++)
        {
            topics[$"member-{m:D3}"] = allTopics;
        }
        var before = group.OwnedSnapshot();
        var after = group.RebalanceUntilComplete("after 25 joined");

        // 1000 partitions over 125 members is 8 each: every old member gives up exactly 2 of its 10.
        foreach (var (member, assignment) in after)
        {
            Assert.Equal(8, assignment.Partitions.Count);
            if (before[member].Count > 0)
            {
                Assert.Equal(8, assignment.Partitions.Intersect(before[member]).Count());
            }
        }
    }
}
