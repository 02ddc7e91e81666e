using System.Text;
using Samsa.Interop.Tests.Clients;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>Checks on what the members of consumer groups consumed, with failures that show every member's output.</summary>
public static class GroupAssert
{
    private const int ShownProblems = 15;

    /// <summary>
    /// Together the members consumed every expected record exactly once, with
    /// its key and value, nothing else, and each member read each partition in
    /// offset order.
    /// </summary>
    public static void ConsumedExactlyOnce(IReadOnlyList<GroupMemberRecord> expected, IReadOnlyList<GroupMember> members, string who)
    {
        var problems = new List<string>();
        var readers = new Dictionary<(int, long), List<(GroupMember Member, GroupMemberRecord Record)>>();
        foreach (var member in members)
        {
            foreach (var record in member.Records)
            {
                if (!readers.TryGetValue((record.Partition, record.Offset), out var list))
                {
                    readers[(record.Partition, record.Offset)] = list = [];
                }
                list.Add((member, record));
            }
            foreach (var partition in member.Records.GroupBy(r => r.Partition))
            {
                var offsets = partition.Select(r => r.Offset).ToList();
                for (var i = 1; i < offsets.Count; i++)
                {
                    if (offsets[i] <= offsets[i - 1])
                    {
                        problems.Add($"{member.ClientId} read p{partition.Key}@{offsets[i]} after p{partition.Key}@{offsets[i - 1]}");
                    }
                }
            }
        }

        foreach (var want in expected)
        {
            if (!readers.Remove((want.Partition, want.Offset), out var got))
            {
                problems.Add($"never consumed: {want}");
                continue;
            }
            if (got.Count > 1)
            {
                problems.Add($"consumed {got.Count} times: {want} (by {string.Join(", ", got.Select(g => g.Member.ClientId))})");
            }
            foreach (var (member, record) in got.Where(g => g.Record.Key != want.Key || g.Record.Value != want.Value).Take(1))
            {
                problems.Add($"{member.ClientId} read {record}, expected {want}");
            }
        }
        foreach (var ((partition, offset), got) in readers.OrderBy(kv => kv.Key))
        {
            problems.Add($"unexpected record p{partition}@{offset} (by {string.Join(", ", got.Select(g => g.Member.ClientId))}): {got[0].Record}");
        }
        Fail(problems, who, $"{expected.Count} records expected, {members.Sum(m => m.RecordCount)} consumed " +
                            $"({string.Join(", ", members.Select(m => $"{m.ClientId}: {m.RecordCount}"))})", members);
    }

    /// <summary>No partition was read by two members (the group never rebalanced while records flowed).</summary>
    public static void EachPartitionReadByOneMember(IReadOnlyList<GroupMember> members, string who)
    {
        var problems = members
            .SelectMany(m => m.Records.Select(r => r.Partition).Distinct().Select(p => (Partition: p, Member: m.ClientId)))
            .GroupBy(x => x.Partition)
            .Where(g => g.Count() > 1)
            .Select(g => $"partition {g.Key} was read by {string.Join(" and ", g.Select(x => x.Member))}")
            .ToList();
        Fail(problems, who, "each partition must have one reader", members);
    }

    /// <summary>Every member read only partitions the coordinator had assigned to it.</summary>
    public static void ReadOnlyOwnPartitions(IReadOnlyDictionary<GroupMember, IReadOnlyList<int>> owned, string who)
    {
        var problems = owned
            .SelectMany(kv => kv.Key.Records.Select(r => r.Partition).Distinct().Where(p => !kv.Value.Contains(p))
                .Select(p => $"{kv.Key.ClientId} read partition {p} but owns [{string.Join(',', kv.Value)}]"))
            .ToList();
        Fail(problems, who, "members must read only their own partitions", owned.Keys.ToList());
    }

    /// <summary>No member reported a refused commit.</summary>
    public static void NoCommitFailures(IReadOnlyList<GroupMember> members, string who)
    {
        var problems = members.SelectMany(m => m.Problems.Where(p => p.StartsWith("commit_failed", StringComparison.Ordinal)).Select(p => $"{m.ClientId}: {p}")).ToList();
        Fail(problems, who, "every manual commit must succeed", members);
    }

    /// <summary>A resumed member's first record on each partition is the one right after the committed offset (offset 0 where nothing was committed).</summary>
    public static void ResumedAt(IReadOnlyDictionary<int, long> committed, GroupMember resumed, string who)
    {
        var problems = resumed.Records.GroupBy(r => r.Partition)
            .Select(g => (Partition: g.Key, First: g.First().Offset, Expected: committed.GetValueOrDefault(g.Key)))
            .Where(x => x.First != x.Expected)
            .Select(x => $"partition {x.Partition}: resumed at offset {x.First}, committed offset is {x.Expected}")
            .ToList();
        Fail(problems, who, $"committed {GroupObserver.ShowOffsets(committed)}", [resumed]);
    }

    public static void Offsets(IReadOnlyDictionary<int, long> expected, IReadOnlyDictionary<int, long> actual, string who, IReadOnlyList<GroupMember> members)
    {
        if (!GroupObserver.SameOffsets(expected, actual))
        {
            Fail([$"committed {GroupObserver.ShowOffsets(actual)}, expected {GroupObserver.ShowOffsets(expected)}"], who, "committed offsets", members);
        }
    }

    private static void Fail(List<string> problems, string who, string summary, IReadOnlyList<GroupMember> members)
    {
        if (problems.Count == 0)
        {
            return;
        }
        var message = new StringBuilder();
        message.Append(who).Append(": ").Append(problems.Count).Append(" problem(s); ").AppendLine(summary);
        foreach (var problem in problems.Take(ShownProblems))
        {
            message.Append("  ").AppendLine(problem);
        }
        if (problems.Count > ShownProblems)
        {
            message.Append("  ... ").Append(problems.Count - ShownProblems).AppendLine(" more");
        }
        message.Append(GroupObserver.DescribeAll(members));
        throw new XunitException(message.ToString());
    }
}
