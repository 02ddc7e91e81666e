using System.Globalization;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Protocol;

namespace Samsa.Cli.Commands;

/// <summary>`samsa consumer-groups`: kafka-consumer-groups' --list, --describe, --reset-offsets and --delete.</summary>
internal static class ConsumerGroupsCommand
{
    public const string Usage = """
        Usage: samsa consumer-groups --bootstrap-server HOST:PORT
                 --list
               | --describe (--group G | --all-groups)
               | --reset-offsets --group G (--topic T[:P,P...] ... | --all-topics)
                   (--to-earliest | --to-latest | --to-offset N | --to-datetime YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm] | --shift-by N)
                   [--execute | --dry-run]
               | --delete --group G
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal)
    {
        "--list", "--describe", "--reset-offsets", "--delete", "--all-groups", "--all-topics",
        "--to-earliest", "--to-latest", "--execute", "--dry-run",
    };

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var options = new Arguments(args, Flags);
        var actions = new[] { "list", "describe", "reset-offsets", "delete" }.Where(a => options.Has("--" + a)).ToList();
        if (actions.Count != 1)
        {
            throw new UsageException("give exactly one of --list, --describe, --reset-offsets, --delete");
        }
        string bootstrap = options.Require("--bootstrap-server");
        var groups = options.GetAll("--group");
        bool allGroups = options.Has("--all-groups");
        var topics = options.GetAll("--topic");
        bool allTopics = options.Has("--all-topics");
        bool toEarliest = options.Has("--to-earliest");
        bool toLatest = options.Has("--to-latest");
        string? toOffset = options.Get("--to-offset");
        string? toDatetime = options.Get("--to-datetime");
        string? shiftBy = options.Get("--shift-by");
        bool execute = options.Has("--execute");
        options.Has("--dry-run");
        options.RejectUnknown();

        try
        {
            await using var admin = await AdminClient.ConnectAsync(bootstrap).ConfigureAwait(false);
            switch (actions[0])
            {
                case "list":
                    foreach (var group in await admin.ListGroupsAsync().ConfigureAwait(false))
                    {
                        output.WriteLine(group.GroupId);
                    }
                    return 0;
                case "describe":
                    var names = allGroups ? (await admin.ListGroupsAsync().ConfigureAwait(false)).Select(g => g.GroupId).ToList() : groups.ToList();
                    if (names.Count == 0)
                    {
                        throw new UsageException("--describe needs --group or --all-groups");
                    }
                    foreach (var name in names)
                    {
                        await DescribeAsync(admin, name, output).ConfigureAwait(false);
                    }
                    return 0;
                case "delete":
                    if (groups.Count == 0)
                    {
                        throw new UsageException("--delete needs --group");
                    }
                    foreach (var name in groups)
                    {
                        await admin.DeleteGroupAsync(name).ConfigureAwait(false);
                    }
                    output.WriteLine($"Deletion of requested consumer groups ({string.Join(", ", groups.Select(g => $"'{g}'"))}) was successful.");
                    return 0;
                default:
                    if (groups.Count != 1)
                    {
                        throw new UsageException("--reset-offsets needs exactly one --group");
                    }
                    int specs = (toEarliest ? 1 : 0) + (toLatest ? 1 : 0) + (toOffset is null ? 0 : 1) + (toDatetime is null ? 0 : 1) + (shiftBy is null ? 0 : 1);
                    if (specs != 1)
                    {
                        throw new UsageException("give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by");
                    }
                    if (topics.Count == 0 == !allTopics)
                    {
                        throw new UsageException("give --topic or --all-topics");
                    }
                    var spec = new ResetSpec(toEarliest, toLatest, ParseLong(toOffset, "--to-offset"), ParseDatetime(toDatetime), ParseLong(shiftBy, "--shift-by"));
                    return await ResetAsync(admin, groups[0], topics, allTopics, spec, execute, output).ConfigureAwait(false);
            }
        }
        catch (KafkaException e)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
    }

    private sealed record ResetSpec(bool Earliest, bool Latest, long? Offset, long? Timestamp, long? Shift);

    private static async Task DescribeAsync(AdminClient admin, string groupId, TextWriter output)
    {
        var group = await admin.DescribeGroupAsync(groupId).ConfigureAwait(false);
        var committed = await admin.ListGroupOffsetsAsync(groupId).ConfigureAwait(false);
        var owner = new Dictionary<TopicPartition, GroupMemberDescription>();
        foreach (var member in group.Members)
        {
            foreach (var tp in member.Assignment)
            {
                owner[tp] = member;
            }
        }
        var partitions = committed.Keys.Union(owner.Keys).OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ToList();
        var ends = partitions.Count == 0 ? new Dictionary<TopicPartition, long>() : await admin.ListOffsetsAsync(partitions, -1).ConfigureAwait(false);
        output.WriteLine();
        if (group.State == "Dead")
        {
            output.WriteLine($"Consumer group '{groupId}' does not exist.");
            return;
        }
        if (group.Members.Count == 0)
        {
            output.WriteLine($"Consumer group '{groupId}' has no active members.");
        }
        output.WriteLine();
        output.WriteLine(Row("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"));
        foreach (var tp in partitions)
        {
            string current = committed.TryGetValue(tp, out long c) ? c.ToString(CultureInfo.InvariantCulture) : "-";
            long end = ends.GetValueOrDefault(tp, -1);
            string lag = committed.ContainsKey(tp) && end >= 0 ? Math.Max(0, end - c).ToString(CultureInfo.InvariantCulture) : "-";
            var member = owner.GetValueOrDefault(tp);
            output.WriteLine(Row(groupId, tp.Topic, tp.Partition.ToString(CultureInfo.InvariantCulture), current,
                end >= 0 ? end.ToString(CultureInfo.InvariantCulture) : "-", lag, member?.MemberId ?? "-", member?.Host ?? "-", member?.ClientId ?? "-"));
        }
    }

    private static async Task<int> ResetAsync(AdminClient admin, string groupId, IReadOnlyList<string> topicSpecs, bool allTopics,
        ResetSpec spec, bool execute, TextWriter output)
    {
        var group = await admin.DescribeGroupAsync(groupId).ConfigureAwait(false);
        if (group.State is not ("Empty" or "Dead"))
        {
            Console.Error.WriteLine($"Error: Assignments can only be reset if the group '{groupId}' is inactive, but the current state is {group.State}.");
            return 1;
        }
        var committed = await admin.ListGroupOffsetsAsync(groupId).ConfigureAwait(false);
        var partitions = allTopics ? committed.Keys.ToList() : await ResolveTopicsAsync(admin, topicSpecs).ConfigureAwait(false);
        partitions = partitions.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ToList();
        var earliest = await admin.ListOffsetsAsync(partitions, -2).ConfigureAwait(false);
        var latest = await admin.ListOffsetsAsync(partitions, -1).ConfigureAwait(false);
        var byTime = spec.Timestamp is long ts ? await admin.ListOffsetsAsync(partitions, ts).ConfigureAwait(false) : null;
        var plan = new Dictionary<TopicPartition, long>();
        foreach (var tp in partitions)
        {
            long target = spec switch
            {
                { Earliest: true } => earliest[tp],
                { Latest: true } => latest[tp],
                { Offset: long o } => o,
                { Shift: long s } => (committed.TryGetValue(tp, out long c) ? c : latest[tp]) + s,
                _ => byTime![tp] >= 0 ? byTime[tp] : latest[tp],
            };
            // Out-of-range targets are clamped to the log, as Kafka's tool does.
            plan[tp] = Math.Clamp(target, earliest[tp], latest[tp]);
        }
        if (execute)
        {
            await admin.CommitGroupOffsetsAsync(groupId, plan).ConfigureAwait(false);
        }
        output.WriteLine();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-30} {1,-30} {2,-10} {3,-15}", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
        foreach (var (tp, offset) in plan)
        {
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-30} {1,-30} {2,-10} {3,-15}", groupId, tp.Topic, tp.Partition, offset));
        }
        if (!execute)
        {
            output.WriteLine("(dry run: add --execute to commit these offsets)");
        }
        return 0;
    }

    private static async Task<List<TopicPartition>> ResolveTopicsAsync(AdminClient admin, IReadOnlyList<string> specs)
    {
        var result = new List<TopicPartition>();
        foreach (var spec in specs)
        {
            int colon = spec.IndexOf(':');
            string topic = colon < 0 ? spec : spec[..colon];
            if (colon >= 0)
            {
                foreach (var p in spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    result.Add(new TopicPartition(topic, (int)(ParseLong(p, "--topic") ?? 0)));
                }
                continue;
            }
            var description = (await admin.DescribeTopicsAsync([topic]).ConfigureAwait(false)).Single();
            result.AddRange(description.Partitions.Select(p => new TopicPartition(topic, p.Partition)));
        }
        return result;
    }

    private static long? ParseLong(string? value, string option)
    {
        if (value is null)
        {
            return null;
        }
        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long result)
            ? result
            : throw new UsageException($"{option} expects an integer, got '{value}'");
    }

    /// <summary>Kafka's format: yyyy-MM-ddTHH:mm:SS.sss, optionally with a zone; local time when none is given.</summary>
    private static long? ParseDatetime(string? value)
    {
        if (value is null)
        {
            return null;
        }
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ss.FFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFF", "yyyy-MM-dd'T'HH:mm:ss"];
        if (!DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var parsed))
        {
            throw new UsageException($"--to-datetime expects YYYY-MM-DDTHH:mm:SS.sss, got '{value}'");
        }
        return parsed.ToUnixTimeMilliseconds();
    }

    private static string Row(params string[] columns) =>
        string.Format(CultureInfo.InvariantCulture, "{0,-15} {1,-15} {2,-10} {3,-15} {4,-15} {5,-15} {6,-40} {7,-15} {8}", columns);
}
