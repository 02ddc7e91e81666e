using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// Committed offsets live in __consumer_offsets and come back when the
/// broker process restarts, after SIGTERM and after kill -9 (the page cache
/// survives a process kill): a member of each real client commits, stops,
/// the broker restarts, and a new member resumes at exactly the committed
/// offsets. Each case has its own broker, since it restarts it.
/// </summary>
public sealed class ConsumerGroupRestartTests
{
    public static TheoryData<string, string> ClientsAndRestarts
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var client in GroupMemberClient.All)
            {
                cases.Add(client.Name, "SIGTERM");
                cases.Add(client.Name, "SIGKILL");
            }
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(ClientsAndRestarts))]
    public async Task Committed_offsets_survive_a_broker_restart(string client, string restart)
    {
        await using var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            await using var s = new GroupScenario(broker, client, "restart");
            await s.CreateTopicAsync();
            var group = s.Group("g");
            var produced = await s.ProduceAsync(120);

            var first = await s.StartMemberAsync(group, "first", o => o with { Commit = GroupCommitMode.PerRecord, ExpectedRecords = 50 });
            await GroupObserver.WaitForRecordsAsync([first], 50, $"{client} member before the restart");
            await first.ExpectCleanExitAsync();
            var committed = await s.Observer.CommittedAsync(group, s.Topic);
            GroupAssert.Offsets(first.NextOffsets(), committed, $"{client}: commits before the restart", [first]);

            if (restart == "SIGTERM")
            {
                var exitCode = await broker.StopAsync();
                Assert.True(exitCode == 0, $"the broker exited with code {exitCode} after SIGTERM, expected 0");
            }
            else
            {
                broker.Kill();
            }
            await broker.StartAsync();

            await s.Observer.WaitForCommittedAsync(group, s.Topic, committed, []);
            var description = await s.Observer.DescribeAsync(group);
            Assert.True(description.State == "Empty",
                $"after the restart group {group} is {description.State} with {description.Members.Count} members, expected Empty (known, no members)");

            var second = await s.StartMemberAsync(group, "second", o => o with { Commit = GroupCommitMode.PerBatch, ExpectedRecords = 70 });
            await GroupObserver.WaitForRecordsAsync([second], 70, $"{client} member after the restart");
            await second.ExpectCleanExitAsync();

            GroupAssert.ResumedAt(committed, second, $"{client}: member after a {restart} restart");
            GroupAssert.ConsumedExactlyOnce(produced, [first, second], $"{client}: across a {restart} restart");
            GroupAssert.NoCommitFailures([first, second], $"{client}: across a {restart} restart");
            GroupAssert.Offsets(GroupScenario.NextOffsets(produced), await s.Observer.CommittedAsync(group, s.Topic), $"{client}: final commits", [second]);
        });
    }
}
