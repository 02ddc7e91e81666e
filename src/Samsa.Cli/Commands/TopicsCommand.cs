using System.Text;
using Samsa.Client;
using Samsa.Client.Admin;

namespace Samsa.Cli.Commands;

/// <summary>`samsa topics`: kafka-topics' options (--create, --list, --describe, --delete) against a running broker.</summary>
internal static class TopicsCommand
{
    public const string Usage = """
        Usage: samsa topics (--create | --list | --describe | --delete) --bootstrap-server HOST:PORT
                            [--topic NAME] [--partitions N] [--replication-factor R] [--config key=value ...]
                            [--if-not-exists] [--if-exists]
               samsa topics create|list|describe|delete ... (the same, shorter)
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal)
    {
        "--create", "--list", "--describe", "--delete", "--if-not-exists", "--if-exists",
    };

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var options = new Arguments(args, Flags);
        var actions = new[] { "create", "list", "describe", "delete" }
            .Where(a => options.Has("--" + a) || options.Positional.Contains(a))
            .ToList();
        if (actions.Count != 1)
        {
            throw new UsageException("give exactly one of --create, --list, --describe, --delete");
        }
        string bootstrap = options.Require("--bootstrap-server");
        string? topic = options.Get("--topic");
        int? partitions = options.GetInt("--partitions");
        int? replicationFactor = options.GetInt("--replication-factor");
        var configs = ParseConfigs(options.GetAll("--config"));
        bool ifNotExists = options.Has("--if-not-exists");
        bool ifExists = options.Has("--if-exists");
        options.RejectUnknown();

        try
        {
            await using var admin = await AdminClient.ConnectAsync(bootstrap).ConfigureAwait(false);
            switch (actions[0])
            {
                case "create":
                    if (topic is null)
                    {
                        throw new UsageException("--create needs --topic");
                    }
                    try
                    {
                        await admin.CreateTopicAsync(topic, partitions ?? -1, (short)(replicationFactor ?? -1), configs).ConfigureAwait(false);
                        output.WriteLine($"Created topic {topic}.");
                    }
                    catch (KafkaException e) when (ifNotExists && e.Error == Samsa.Protocol.ErrorCode.TopicAlreadyExists)
                    {
                    }
                    break;
                case "list":
                    foreach (var name in await admin.ListTopicsAsync().ConfigureAwait(false))
                    {
                        output.WriteLine(name);
                    }
                    break;
                case "describe":
                    var topics = await admin.DescribeTopicsAsync(topic is null ? null : new[] { topic }).ConfigureAwait(false);
                    foreach (var t in topics.OrderBy(t => t.Name, StringComparer.Ordinal))
                    {
                        Describe(t, output);
                    }
                    break;
                case "delete":
                    if (topic is null)
                    {
                        throw new UsageException("--delete needs --topic");
                    }
                    try
                    {
                        await admin.DeleteTopicAsync(topic).ConfigureAwait(false);
                    }
                    catch (KafkaException e) when (ifExists && e.Error == Samsa.Protocol.ErrorCode.UnknownTopicOrPartition)
                    {
                    }
                    break;
            }
            return 0;
        }
        catch (KafkaException e)
        {
            Console.Error.WriteLine($"Error while executing topic command : {e.Message}");
            return 1;
        }
    }

    private static Dictionary<string, string> ParseConfigs(IReadOnlyList<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=');
            if (eq <= 0)
            {
                throw new UsageException($"--config expects key=value, got '{value}'");
            }
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }

    private static void Describe(TopicDescription topic, TextWriter output)
    {
        int replicationFactor = topic.Partitions.Count > 0 ? topic.Partitions[0].Replicas.Count : 0;
        output.WriteLine($"Topic: {topic.Name}\tTopicId: {topic.TopicId}\tPartitionCount: {topic.Partitions.Count}\tReplicationFactor: {replicationFactor}\tConfigs: ");
        foreach (var p in topic.Partitions)
        {
            var line = new StringBuilder();
            line.Append($"\tTopic: {topic.Name}\tPartition: {p.Partition}\tLeader: {(p.Leader < 0 ? "none" : p.Leader.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            line.Append($"\tReplicas: {string.Join(",", p.Replicas)}\tIsr: {string.Join(",", p.Isr)}");
            output.WriteLine(line.ToString());
        }
    }
}
