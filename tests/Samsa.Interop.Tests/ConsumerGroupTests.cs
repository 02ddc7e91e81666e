using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// The group consumers of confluent-kafka-python, kafka-python and KafkaJS
/// against Samsa's group coordinator: members are long-running client
/// processes (clients/*/group_member*), the test watches the group through
/// DescribeGroups and OffsetFetch and compares what every member printed
/// with what was produced. One broker for the class; each case has its own
/// 6-partition topic and groups, and every group is made of one client.
/// </summary>
public sealed class ConsumerGroupTests : IClassFixture<ConsumerGroupBrokerFixture>
{
    private const int Partitions = GroupScenario.Partitions;

    private readonly BrokerProcess _broker;

    public ConsumerGroupTests(ConsumerGroupBrokerFixture fixture) => _broker = fixture.Broker;

    public static TheoryData<string> Clients => GroupMemberClient.Names;

    /// <summary>
    /// Three members split the six partitions; 300 keyed records produced
    /// once the group is stable are each consumed exactly once, every
    /// partition by the one member that owns it, and auto-commit catches up
    /// with all of them.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task Three_members_share_six_partitions_and_read_each_record_once(string client) =>
        RunAsync(client, "share", async s =>
        {
            await s.CreateTopicAsync();
            var group = s.Group("g");
            GroupMember[] members = [await s.StartMemberAsync(group, "m1"), await s.StartMemberAsync(group, "m2"), await s.StartMemberAsync(group, "m3")];
            var owned = await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, members);
            Assert.All(owned, kv => Assert.True(kv.Value.Count > 0, $"{kv.Key.ClientId} owns no partition"));

            var produced = await s.ProduceAsync(300);
            await GroupObserver.WaitForRecordsAsync(members, produced.Count, $"{client} group {group}");
            GroupAssert.ConsumedExactlyOnce(produced, members, $"{client}: three members");
            await s.Observer.WaitForCommittedAsync(group, s.Topic, GroupScenario.NextOffsets(produced), members);

            await Task.WhenAll(members.Select(m => m.StopAsync()));
            GroupAssert.ConsumedExactlyOnce(produced, members, $"{client}: three members, after they stopped");
            GroupAssert.ReadOnlyOwnPartitions(owned, $"{client}: three members");
            GroupAssert.EachPartitionReadByOneMember(members, $"{client}: three members");
        });

    /// <summary>
    /// A member killed with SIGKILL sends no LeaveGroup: its partitions move
    /// to the two others once its 3 s session expires, and records produced
    /// afterwards reach the survivors. A member stopped with SIGTERM closes
    /// its consumer and leaves: its session timeout is 60 s, so only its
    /// LeaveGroup can hand its partitions to the last member within the 20 s
    /// the test waits. Nothing is lost or read twice across both moves
    /// (every member commits each record synchronously).
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task Partitions_of_killed_and_leaving_members_move_to_the_others(string client) =>
        RunAsync(client, "move", async s =>
        {
            await s.CreateTopicAsync();
            var group = s.Group("g");
            var a = await s.StartMemberAsync(group, "a", o => o with { Commit = GroupCommitMode.PerRecord, SessionTimeoutMs = 3000 });
            var b = await s.StartMemberAsync(group, "b", o => o with { Commit = GroupCommitMode.PerRecord, SessionTimeoutMs = 60_000 });
            var c = await s.StartMemberAsync(group, "c", o => o with { Commit = GroupCommitMode.PerRecord, SessionTimeoutMs = 3000 });
            GroupMember[] all = [a, b, c];
            await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, all);

            var first = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync(all, 60, $"{client} group {group} before the kill");
            await s.Observer.WaitForCommittedAsync(group, s.Topic, GroupScenario.NextOffsets(first), all);

            c.Kill();
            await c.WaitForExitAsync();
            await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, [a, b]);
            var second = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync(all, 120, $"{client} group {group} after the kill");
            await s.Observer.WaitForCommittedAsync(group, s.Topic, GroupScenario.NextOffsets([.. first, .. second]), [a, b]);

            await b.StopAsync();
            await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, [a], timeout: TimeSpan.FromSeconds(20));
            var third = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync(all, 180, $"{client} group {group} after the leave");
            await a.StopAsync();

            GroupAssert.ConsumedExactlyOnce([.. first, .. second, .. third], all, $"{client}: kill and leave");
            GroupAssert.NoCommitFailures([a, b], $"{client}: kill and leave");
        });

    /// <summary>
    /// A member committing each record synchronously stops after 100 of 300
    /// records; its commits are exactly its positions, and a new member of
    /// the group (committing per batch) starts every partition at the
    /// committed offset and reads the other 200: no gap, no repeat.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task A_restarted_member_resumes_at_the_committed_offsets(string client) =>
        RunAsync(client, "resume", async s =>
        {
            await s.CreateTopicAsync();
            var group = s.Group("g");
            var produced = await s.ProduceAsync(300);

            var first = await s.StartMemberAsync(group, "first", o => o with { Commit = GroupCommitMode.PerRecord, ExpectedRecords = 100 });
            await GroupObserver.WaitForRecordsAsync([first], 100, $"{client} first member");
            await first.ExpectCleanExitAsync();
            Assert.Equal("count", first.CloseReason);
            var committed = await s.Observer.CommittedAsync(group, s.Topic);
            GroupAssert.Offsets(first.NextOffsets(), committed, $"{client}: commits of the first member", [first]);

            var second = await s.StartMemberAsync(group, "second", o => o with { Commit = GroupCommitMode.PerBatch, ExpectedRecords = 200 });
            await GroupObserver.WaitForRecordsAsync([second], 200, $"{client} second member");
            await second.ExpectCleanExitAsync();

            GroupAssert.ResumedAt(committed, second, $"{client}: second member");
            GroupAssert.ConsumedExactlyOnce(produced, [first, second], $"{client}: stop and resume");
            GroupAssert.NoCommitFailures([first, second], $"{client}: stop and resume");
            GroupAssert.Offsets(GroupScenario.NextOffsets(produced), await s.Observer.CommittedAsync(group, s.Topic), $"{client}: final commits", [first, second]);
        });

    /// <summary>
    /// Two new groups join while 60 records are already in the topic:
    /// with auto.offset.reset=earliest the member reads those and the 60
    /// produced after it was assigned; with latest it reads only the later 60.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task Offset_reset_earliest_reads_everything_and_latest_only_what_follows_the_assignment(string client) =>
        RunAsync(client, "reset", async s =>
        {
            await s.CreateTopicAsync();
            var before = await s.ProduceAsync(60);
            var earliestGroup = s.Group("earliest");
            var latestGroup = s.Group("latest");
            var early = await s.StartMemberAsync(earliestGroup, "early", o => o with { AutoOffsetReset = "earliest", Commit = GroupCommitMode.None });
            var late = await s.StartMemberAsync(latestGroup, "late", o => o with { AutoOffsetReset = "latest", Commit = GroupCommitMode.None });
            await s.Observer.WaitForAssignmentAsync(earliestGroup, s.Topic, Partitions, [early]);
            await s.Observer.WaitForAssignmentAsync(latestGroup, s.Topic, Partitions, [late]);

            var after = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync([early], 120, $"{client} earliest member");
            await GroupObserver.WaitForRecordsAsync([late], 60, $"{client} latest member");
            await Task.WhenAll(early.StopAsync(), late.StopAsync());

            GroupAssert.ConsumedExactlyOnce([.. before, .. after], [early], $"{client}: auto.offset.reset=earliest");
            GroupAssert.ConsumedExactlyOnce(after, [late], $"{client}: auto.offset.reset=latest");
        });

    /// <summary>
    /// With the client's auto-commit, a member that stops itself after 50 of
    /// 120 records leaves exactly its positions committed; the next member
    /// resumes there, and while it is still running the periodic auto-commit
    /// reaches the end of every partition.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task Auto_commit_commits_exactly_the_consumed_positions(string client) =>
        RunAsync(client, "autocommit", async s =>
        {
            await s.CreateTopicAsync();
            var group = s.Group("g");
            var produced = await s.ProduceAsync(120);

            var first = await s.StartMemberAsync(group, "first", o => o with { Commit = GroupCommitMode.Auto, ExpectedRecords = 50 });
            await GroupObserver.WaitForRecordsAsync([first], 50, $"{client} first member");
            await first.ExpectCleanExitAsync();
            var committed = await s.Observer.CommittedAsync(group, s.Topic);
            GroupAssert.Offsets(first.NextOffsets(), committed, $"{client}: auto-commit of a member that consumed 50 records", [first]);

            var second = await s.StartMemberAsync(group, "second", o => o with { Commit = GroupCommitMode.Auto });
            await GroupObserver.WaitForRecordsAsync([second], 70, $"{client} second member");
            await s.Observer.WaitForCommittedAsync(group, s.Topic, GroupScenario.NextOffsets(produced), [second]);
            await second.StopAsync();

            GroupAssert.ResumedAt(committed, second, $"{client}: second member");
            GroupAssert.ConsumedExactlyOnce(produced, [first, second], $"{client}: auto-commit");
            GroupAssert.Offsets(GroupScenario.NextOffsets(produced), await s.Observer.CommittedAsync(group, s.Topic), $"{client}: commits after the second member stopped", [second]);
        });

    /// <summary>
    /// Two groups read the same topic at their own pace: group A reads
    /// everything, group B stops after 40 records; B's commits do not move
    /// while A reads 60 more, and a new B member resumes at B's commits and
    /// reads all B has not, while A's commits stay at the end.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public Task Two_groups_on_one_topic_progress_independently(string client) =>
        RunAsync(client, "twogroups", async s =>
        {
            await s.CreateTopicAsync();
            var groupA = s.Group("a");
            var groupB = s.Group("b");
            var first = await s.ProduceAsync(120);

            var a = await s.StartMemberAsync(groupA, "a", o => o with { Commit = GroupCommitMode.PerBatch });
            var b1 = await s.StartMemberAsync(groupB, "b1", o => o with { Commit = GroupCommitMode.PerRecord, ExpectedRecords = 40 });
            await GroupObserver.WaitForRecordsAsync([b1], 40, $"{client} group B first member");
            await b1.ExpectCleanExitAsync();
            await GroupObserver.WaitForRecordsAsync([a], 120, $"{client} group A");
            await s.Observer.WaitForCommittedAsync(groupA, s.Topic, GroupScenario.NextOffsets(first), [a]);
            var committedB = await s.Observer.CommittedAsync(groupB, s.Topic);
            GroupAssert.Offsets(b1.NextOffsets(), committedB, $"{client}: group B after 40 records", [b1]);

            var second = await s.ProduceAsync(60);
            IReadOnlyList<GroupMemberRecord> all = [.. first, .. second];
            await GroupObserver.WaitForRecordsAsync([a], 180, $"{client} group A");
            await s.Observer.WaitForCommittedAsync(groupA, s.Topic, GroupScenario.NextOffsets(all), [a]);
            GroupAssert.Offsets(committedB, await s.Observer.CommittedAsync(groupB, s.Topic), $"{client}: group B while group A read on", [a]);

            var b2 = await s.StartMemberAsync(groupB, "b2", o => o with { Commit = GroupCommitMode.PerRecord, ExpectedRecords = 140 });
            await GroupObserver.WaitForRecordsAsync([b2], 140, $"{client} group B second member");
            await b2.ExpectCleanExitAsync();
            await a.StopAsync();

            GroupAssert.ResumedAt(committedB, b2, $"{client}: group B second member");
            GroupAssert.ConsumedExactlyOnce(all, [a], $"{client}: group A");
            GroupAssert.ConsumedExactlyOnce(all, [b1, b2], $"{client}: group B");
            GroupAssert.NoCommitFailures([a, b1, b2], $"{client}: two groups");
            GroupAssert.Offsets(GroupScenario.NextOffsets(all), await s.Observer.CommittedAsync(groupA, s.Topic), $"{client}: group A final commits", [a]);
            GroupAssert.Offsets(GroupScenario.NextOffsets(all), await s.Observer.CommittedAsync(groupB, s.Topic), $"{client}: group B final commits", [b2]);
        });

    /// <summary>
    /// Static membership (group.instance.id) with the one client here that
    /// has it, confluent-kafka-python: a static follower that closes sends no
    /// LeaveGroup, so the group keeps its slot; restarted under the same
    /// instance id within its 10 s session it gets its old partitions back
    /// without a rebalance (the other member receives no new assignment), and
    /// resumes at its committed offsets.
    /// </summary>
    [Fact]
    public Task Confluent_static_member_restarted_within_its_session_keeps_its_partitions_without_a_rebalance() =>
        RunAsync(GroupMemberClient.ConfluentKafka.Name, "static", async s =>
        {
            await s.CreateTopicAsync();
            var group = s.Group("g");
            GroupMemberOptions Static(GroupMemberOptions o, string instance) =>
                o with { GroupInstanceId = instance, Commit = GroupCommitMode.PerRecord, SessionTimeoutMs = 10_000 };

            var leader = await s.StartMemberAsync(group, "leader", o => Static(o, "leader"));
            await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, [leader]);
            var follower = await s.StartMemberAsync(group, "follower", o => Static(o, "follower"));
            var owned = await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, [leader, follower]);
            var first = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync([leader, follower], 60, "static members");
            await s.Observer.WaitForCommittedAsync(group, s.Topic, GroupScenario.NextOffsets(first), [leader, follower]);

            var leaderAssignments = leader.AssignmentCount;
            await follower.StopAsync();
            var kept = await s.Observer.DescribeAsync(group);
            Assert.True(kept.Members.Any(m => m.GroupInstanceId == "follower"),
                $"right after the static follower closed (no LeaveGroup, 10 s session) the group should still list it; it has " +
                string.Join(", ", kept.Members.Select(m => $"{m.ClientId}/{m.GroupInstanceId}")));

            var restarted = await s.StartMemberAsync(group, "follower", o => Static(o, "follower"));
            var after = await s.Observer.WaitForAssignmentAsync(group, s.Topic, Partitions, [leader, restarted]);
            Assert.Equal(owned[follower], after[restarted]);
            Assert.True(leader.AssignmentCount == leaderAssignments,
                $"the leader received {leader.AssignmentCount - leaderAssignments} new assignment(s) when the static follower came back; expected none (no rebalance)");

            var second = await s.ProduceAsync(60);
            await GroupObserver.WaitForRecordsAsync([leader, follower, restarted], 120, "static members after the restart");
            await Task.WhenAll(leader.StopAsync(), restarted.StopAsync());
            GroupAssert.ConsumedExactlyOnce([.. first, .. second], [leader, follower, restarted], "confluent-kafka-python: static membership");
            GroupAssert.NoCommitFailures([leader, follower, restarted], "confluent-kafka-python: static membership");
        });

    private Task RunAsync(string client, string name, Func<GroupScenario, Task> body) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            await using var scenario = new GroupScenario(_broker, client, name);
            await body(scenario);
        });
}
