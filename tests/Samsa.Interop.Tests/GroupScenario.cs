using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests;

/// <summary>
/// One consumer-group test case: a fresh 6-partition topic, group names
/// derived from it, members of one real client started on demand (all
/// killed at the end if still running), keyed records produced by
/// confluent-kafka-python with acks=all, and an observer of the groups.
/// </summary>
internal sealed class GroupScenario : IAsyncDisposable
{
    public const int Partitions = 6;

    private readonly List<GroupMember> _members = [];
    private int _produced;

    public GroupScenario(BrokerProcess broker, string client, string name)
    {
        Broker = broker;
        Client = GroupMemberClient.ByName(client);
        Topic = InteropFailure.NewTopic($"grp-{name}-{client}");
        Observer = new GroupObserver(broker);
    }

    public BrokerProcess Broker { get; }

    public GroupMemberClient Client { get; }

    public string Topic { get; }

    public GroupObserver Observer { get; }

    /// <summary>A group name unique to this case.</summary>
    public string Group(string label) => $"{Topic}-{label}";

    public Task CreateTopicAsync() => Observer.CreateTopicAsync(Topic, Partitions);

    /// <summary>Starts a member of <paramref name="group"/>; <paramref name="configure"/> adjusts the default options.</summary>
    public async Task<GroupMember> StartMemberAsync(string group, string clientId, Func<GroupMemberOptions, GroupMemberOptions>? configure = null)
    {
        var options = new GroupMemberOptions(Topic, group, $"{clientId}-{Client.Name}");
        var member = await GroupMember.StartAsync(Client, Broker.BootstrapServers, configure is null ? options : configure(options));
        _members.Add(member);
        return member;
    }

    /// <summary>
    /// Produces <paramref name="count"/> keyed records round-robin over the
    /// partitions (record i goes to partition i mod 6, numbering continuing
    /// across calls) and returns them with the offsets they were acknowledged at.
    /// </summary>
    public async Task<IReadOnlyList<GroupMemberRecord>> ProduceAsync(int count)
    {
        var first = _produced;
        _produced += count;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var records = Enumerable.Range(first, count)
            .Select(i => new TestRecord(i % Partitions, $"key-{i:D4}", $"value {i} of {Topic}", [], now))
            .ToList();
        var reports = await InteropClients.ConfluentKafka.ProduceAsync(Broker.BootstrapServers, Topic, records);
        return records.Zip(reports, (r, d) =>
        {
            Assert.True(d.Partition == r.Partition, $"record {r.Key} was acknowledged on partition {d.Partition}, sent to {r.Partition}");
            return new GroupMemberRecord(d.Partition, d.Offset, r.Key, r.Value);
        }).ToList();
    }

    /// <summary>Each partition's offset after the last of <paramref name="records"/>: what a group that consumed them all has committed.</summary>
    public static IReadOnlyDictionary<int, long> NextOffsets(IEnumerable<GroupMemberRecord> records) =>
        records.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Max(r => r.Offset) + 1);

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.DisposeAsync();
        }
        await Observer.DisposeAsync();
    }
}
