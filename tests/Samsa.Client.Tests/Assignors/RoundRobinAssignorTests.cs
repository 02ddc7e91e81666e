using Samsa.Client.Consumer.Assignors;
using static Samsa.Client.Tests.Assignors.AssignmentCheck;

namespace Samsa.Client.Tests.Assignors;

public sealed class RoundRobinAssignorTests
{
    private readonly RoundRobinAssignor _assignor = new();

    [Fact]
    public void Partitions_of_all_topics_alternate_between_members()
    {
        // The first example in Java's RoundRobinAssignor documentation.
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 },
            new Dictionary<string, MemberSubscription> { ["C0"] = Member("t0", "t1"), ["C1"] = Member("t1", "t0") });

        Assert.Equal(["t0-0", "t0-2", "t1-1"], Of(result, "C0"));
        Assert.Equal(["t0-1", "t1-0", "t1-2"], Of(result, "C1"));
    }

    [Fact]
    public void Members_not_subscribed_to_a_topic_are_skipped()
    {
        // The second example in Java's RoundRobinAssignor documentation.
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t0"] = 1, ["t1"] = 2, ["t2"] = 3 },
            new Dictionary<string, MemberSubscription>
            {
                ["C0"] = Member("t0"),
                ["C1"] = Member("t0", "t1"),
                ["C2"] = Member("t0", "t1", "t2"),
            });

        Assert.Equal(["t0-0"], Of(result, "C0"));
        Assert.Equal(["t1-0"], Of(result, "C1"));
        Assert.Equal(["t1-1", "t2-0", "t2-1", "t2-2"], Of(result, "C2"));
    }

    [Fact]
    public void Topics_are_taken_in_name_order_and_the_circle_continues_across_topics()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["b"] = 2, ["a"] = 3 },
            new Dictionary<string, MemberSubscription> { ["m2"] = Member("a", "b"), ["m1"] = Member("b", "a") });

        Assert.Equal(["a-0", "a-2", "b-1"], Of(result, "m1"));
        Assert.Equal(["a-1", "b-0"], Of(result, "m2"));
    }

    [Fact]
    public void Static_members_come_first_ordered_by_group_instance_id()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 3 },
            new Dictionary<string, MemberSubscription>
            {
                ["a"] = Member("t"),
                ["b"] = Member("t") with { GroupInstanceId = "i" },
            });

        Assert.Equal(["t-0", "t-2"], Of(result, "b"));
        Assert.Equal(["t-1"], Of(result, "a"));
    }

    [Fact]
    public void Random_inputs_give_every_subscribed_partition_once_and_balance_equal_subscriptions()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var (partitionsPerTopic, subscriptions) = RandomGroups.Create(new Random(seed), sameSubscription: seed % 2 == 0);
            var result = _assignor.Assign(partitionsPerTopic, subscriptions);
            AssertValid(partitionsPerTopic, subscriptions, result, complete: true, $"seed {seed}");
            if (seed % 2 == 0)
            {
                var counts = result.Values.Select(a => a.Partitions.Count).ToList();
                Assert.True(counts.Max() - counts.Min() <= 1, $"seed {seed}: counts {string.Join(",", counts)}");
            }
        }
    }
}
