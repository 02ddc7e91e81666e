using Samsa.Client.Consumer.Assignors;
using static Samsa.Client.Tests.Assignors.AssignmentCheck;

namespace Samsa.Client.Tests.Assignors;

public sealed class RangeAssignorTests
{
    private readonly RangeAssignor _assignor = new();

    [Fact]
    public void Two_members_two_topics_of_three_first_member_gets_the_extra_partition_of_each()
    {
        // The example in Java's RangeAssignor documentation.
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 },
            new Dictionary<string, MemberSubscription> { ["C1"] = Member("t0", "t1"), ["C0"] = Member("t0", "t1") });

        Assert.Equal(["t0-0", "t0-1", "t1-0", "t1-1"], Of(result, "C0"));
        Assert.Equal(["t0-2", "t1-2"], Of(result, "C1"));
    }

    [Fact]
    public void Each_topic_is_split_among_its_own_subscribers_only()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["a"] = 5, ["b"] = 2 },
            new Dictionary<string, MemberSubscription> { ["m1"] = Member("a"), ["m2"] = Member("a", "b"), ["m3"] = Member("b") });

        Assert.Equal(["a-0", "a-1", "a-2"], Of(result, "m1"));
        Assert.Equal(["a-3", "a-4", "b-0"], Of(result, "m2"));
        Assert.Equal(["b-1"], Of(result, "m3"));
    }

    [Fact]
    public void More_members_than_partitions_leaves_the_last_members_empty()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 2 },
            new Dictionary<string, MemberSubscription> { ["c"] = Member("t"), ["a"] = Member("t"), ["b"] = Member("t") });

        Assert.Equal(["t-0"], Of(result, "a"));
        Assert.Equal(["t-1"], Of(result, "b"));
        Assert.Empty(Of(result, "c"));
    }

    [Fact]
    public void Static_members_come_first_ordered_by_group_instance_id()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["t"] = 4 },
            new Dictionary<string, MemberSubscription>
            {
                ["a-dynamic"] = Member("t"),
                ["z-member"] = Member("t") with { GroupInstanceId = "instance-1" },
                ["b-member"] = Member("t") with { GroupInstanceId = "instance-2" },
            });

        Assert.Equal(["t-0", "t-1"], Of(result, "z-member"));
        Assert.Equal(["t-2"], Of(result, "b-member"));
        Assert.Equal(["t-3"], Of(result, "a-dynamic"));
    }

    [Fact]
    public void Topics_missing_from_metadata_are_skipped()
    {
        var result = _assignor.Assign(
            new Dictionary<string, int> { ["known"] = 1 },
            new Dictionary<string, MemberSubscription> { ["m"] = Member("known", "unknown") });

        Assert.Equal(["known-0"], Of(result, "m"));
    }

    [Fact]
    public void Random_inputs_give_every_subscribed_partition_once_to_a_subscriber()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var (partitionsPerTopic, subscriptions) = RandomGroups.Create(new Random(seed), sameSubscription: false);
            var result = _assignor.Assign(partitionsPerTopic, subscriptions);
            AssertValid(partitionsPerTopic, subscriptions, result, complete: true, $"seed {seed}");
        }
    }
}
