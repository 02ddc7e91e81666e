using System.Globalization;
using System.Net.Sockets;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// Watches consumer groups from the side through Samsa's admin client
/// (DescribeGroups, OffsetFetch, ListOffsets) while real clients are the
/// members. A failed call drops the connection and counts as "not yet", so
/// polling carries on across a broker restart. Not thread-safe.
/// </summary>
public sealed class GroupObserver : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(40);

    private readonly BrokerProcess _broker;
    private AdminClient? _admin;
    private string _lastSeen = "nothing observed yet";

    public GroupObserver(BrokerProcess broker) => _broker = broker;

    /// <summary>The group as the coordinator describes it; null when the call failed (the failure is kept for messages).</summary>
    public Task<GroupDescription?> TryDescribeAsync(string group) =>
        TryAsync(admin => admin.DescribeGroupAsync(group));

    /// <summary>The group's committed offsets in <paramref name="topic"/> by partition; null when the call failed.</summary>
    public async Task<IReadOnlyDictionary<int, long>?> TryCommittedAsync(string group, string topic)
    {
        var offsets = await TryAsync(admin => admin.ListGroupOffsetsAsync(group)).ConfigureAwait(false);
        return offsets?.Where(o => o.Key.Topic == topic).ToDictionary(o => o.Key.Partition, o => o.Value);
    }

    public async Task<IReadOnlyDictionary<int, long>> CommittedAsync(string group, string topic) =>
        await TryCommittedAsync(group, topic).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"OffsetFetch for group {group} failed: {_lastSeen}");

    public async Task<GroupDescription> DescribeAsync(string group) =>
        await TryDescribeAsync(group).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"DescribeGroups for group {group} failed: {_lastSeen}");

    public async Task CreateTopicAsync(string topic, int partitions)
    {
        await using var admin = await AdminClient.ConnectAsync(_broker.BootstrapServers).ConfigureAwait(false);
        await admin.CreateTopicAsync(topic, partitions).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the group is Stable with exactly <paramref name="members"/>
    /// (matched by client id), their assignments cover partitions
    /// 0..partitions-1 of <paramref name="topic"/> once each, and every member
    /// has applied the assignment the coordinator holds for it and resolved
    /// its fetch positions. Returns the partitions each member owns.
    /// </summary>
    public async Task<IReadOnlyDictionary<GroupMember, IReadOnlyList<int>>> WaitForAssignmentAsync(
        string group, string topic, int partitions, IReadOnlyList<GroupMember> members, TimeSpan? timeout = null)
    {
        var owned = new Dictionary<GroupMember, IReadOnlyList<int>>();
        await Poll.UntilAsync(
            async () =>
            {
                ThrowIfAnyFailed(members);
                var description = await TryDescribeAsync(group).ConfigureAwait(false);
                if (description is null)
                {
                    return false;
                }
                _lastSeen = Show(description);
                owned.Clear();
                if (description.State != "Stable" || description.Members.Count != members.Count)
                {
                    return false;
                }
                foreach (var member in members)
                {
                    var described = description.Members.Where(m => m.ClientId == member.ClientId).ToList();
                    if (described.Count != 1)
                    {
                        return false;
                    }
                    var assigned = described[0].Assignment.Where(tp => tp.Topic == topic).Select(tp => tp.Partition).Order().ToList();
                    if (member.Assignment is not { } applied || !applied.SequenceEqual(assigned) || !member.IsReady)
                    {
                        return false;
                    }
                    owned[member] = assigned;
                }
                var all = owned.Values.SelectMany(p => p).Order().ToList();
                return all.SequenceEqual(Enumerable.Range(0, partitions));
            },
            timeout ?? DefaultTimeout,
            $"group {group}: Stable with {members.Count} members [{string.Join(", ", members.Select(m => m.ClientId))}] " +
            $"owning partitions 0-{partitions - 1} of {topic} once each, every member ready",
            () => $"last seen: {_lastSeen}\n{DescribeAll(members)}").ConfigureAwait(false);
        return owned;
    }

    /// <summary>Waits until the group's committed offsets in <paramref name="topic"/> are exactly <paramref name="expected"/>.</summary>
    public async Task WaitForCommittedAsync(
        string group, string topic, IReadOnlyDictionary<int, long> expected, IReadOnlyList<GroupMember> members, TimeSpan? timeout = null)
    {
        await Poll.UntilAsync(
            async () =>
            {
                ThrowIfAnyFailed(members);
                var committed = await TryCommittedAsync(group, topic).ConfigureAwait(false);
                if (committed is null)
                {
                    return false;
                }
                _lastSeen = "committed " + ShowOffsets(committed);
                return SameOffsets(committed, expected);
            },
            timeout ?? DefaultTimeout,
            $"group {group}: committed offsets in {topic} equal {ShowOffsets(expected)}",
            () => $"last seen: {_lastSeen}\n{DescribeAll(members)}").ConfigureAwait(false);
    }

    /// <summary>Waits until the members together have printed at least <paramref name="count"/> records.</summary>
    public static Task WaitForRecordsAsync(IReadOnlyList<GroupMember> members, int count, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(
            () =>
            {
                ThrowIfAnyFailed(members);
                var consumed = members.Sum(m => m.RecordCount);
                if (consumed >= count)
                {
                    return true;
                }
                if (members.All(m => m.HasFinished))
                {
                    throw new InvalidOperationException($"{what}: every member exited after {consumed} of {count} records\n{DescribeAll(members)}");
                }
                return false;
            },
            timeout ?? DefaultTimeout,
            $"{what}: {count} records consumed",
            () => $"consumed: {string.Join(", ", members.Select(m => $"{m.ClientId}={m.RecordCount}"))}\n{DescribeAll(members)}");

    /// <summary>
    /// Offsets per partition compared with a missing partition counting as 0:
    /// on a topic whose logs start at 0, a committed 0 and no commit both
    /// mean "nothing consumed" (clients differ in which they leave).
    /// </summary>
    public static bool SameOffsets(IReadOnlyDictionary<int, long> a, IReadOnlyDictionary<int, long> b) =>
        a.Keys.Union(b.Keys).All(p => a.GetValueOrDefault(p) == b.GetValueOrDefault(p));

    public static string ShowOffsets(IReadOnlyDictionary<int, long> offsets) =>
        "{" + string.Join(", ", offsets.OrderBy(kv => kv.Key).Select(kv => string.Create(CultureInfo.InvariantCulture, $"p{kv.Key}: {kv.Value}"))) + "}";

    public static string DescribeAll(IEnumerable<GroupMember> members) => string.Join("\n", members.Select(m => m.Describe()));

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
            _admin = null;
        }
    }

    private static void ThrowIfAnyFailed(IEnumerable<GroupMember> members)
    {
        foreach (var member in members)
        {
            member.ThrowIfFailed();
        }
    }

    private async Task<T?> TryAsync<T>(Func<AdminClient, Task<T>> call)
        where T : class
    {
        try
        {
            _admin ??= await AdminClient.ConnectAsync(_broker.BootstrapServers).ConfigureAwait(false);
            return await call(_admin).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaException or IOException or SocketException)
        {
            _lastSeen = $"{e.GetType().Name}: {e.Message}";
            await DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    private static string Show(GroupDescription d) =>
        $"state {d.State}, protocol {d.ProtocolType}/{d.Protocol}, {d.Members.Count} members: " +
        string.Join("; ", d.Members.Select(m => $"{m.ClientId} ({m.MemberId}) owns [{string.Join(',', m.Assignment.Select(tp => tp.Partition).Order())}]"));
}
