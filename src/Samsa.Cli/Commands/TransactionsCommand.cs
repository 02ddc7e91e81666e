using System.Globalization;
using Samsa.Client;
using Samsa.Client.Admin;

namespace Samsa.Cli.Commands;

/// <summary>`samsa transactions`: kafka-transactions' --list and --describe (ListTransactions, DescribeTransactions).</summary>
internal static class TransactionsCommand
{
    public const string Usage = """
        Usage: samsa transactions --bootstrap-server HOST:PORT
                 --list [--state STATE ...] [--producer-id ID ...]
               | --describe --transactional-id ID
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--list", "--describe" };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TimeProvider? time = null)
    {
        var options = new Arguments(args, Flags);
        bool list = options.Has("--list");
        bool describe = options.Has("--describe");
        if (list == describe)
        {
            throw new UsageException("give exactly one of --list, --describe");
        }
        string bootstrap = options.Require("--bootstrap-server");
        var transactionalId = options.Get("--transactional-id");
        var states = options.GetAll("--state");
        var producerIds = options.GetAll("--producer-id").Select(p => long.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out long id)
            ? id : throw new UsageException($"--producer-id: '{p}' is not a number")).ToList();
        options.RejectUnknown();
        if (describe && transactionalId is null)
        {
            throw new UsageException("--describe needs --transactional-id");
        }

        try
        {
            await using var admin = await AdminClient.ConnectAsync(bootstrap).ConfigureAwait(false);
            if (list)
            {
                output.WriteLine(ListRow("TransactionalId", "ProducerId", "TransactionState"));
                foreach (var t in await admin.ListTransactionsAsync(states, producerIds).ConfigureAwait(false))
                {
                    output.WriteLine(ListRow(t.TransactionalId, t.ProducerId.ToString(CultureInfo.InvariantCulture), t.State));
                }
                return 0;
            }
            var d = (await admin.DescribeTransactionsAsync([transactionalId!]).ConfigureAwait(false)).Single();
            long now = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
            string start = d.StartTimeMs < 0 ? "-" : d.StartTimeMs.ToString(CultureInfo.InvariantCulture);
            string startIso = d.StartTimeMs < 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(d.StartTimeMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            string duration = d.StartTimeMs < 0 ? "-" : Math.Max(0, now - d.StartTimeMs).ToString(CultureInfo.InvariantCulture);
            string partitions = d.Partitions.Count == 0 ? "-" : string.Join(",", d.Partitions.Select(p => p.ToString()));
            output.WriteLine(DescribeRow("TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState", "TransactionTimeoutMs",
                "CurrentTransactionStartTimeMs", "CurrentTransactionStartTime", "TransactionDurationMs", "TopicPartitions"));
            output.WriteLine(DescribeRow(d.TransactionalId, d.ProducerId.ToString(CultureInfo.InvariantCulture),
                d.ProducerEpoch.ToString(CultureInfo.InvariantCulture), d.State, d.TimeoutMs.ToString(CultureInfo.InvariantCulture),
                start, startIso, duration, partitions));
            return 0;
        }
        catch (KafkaException e)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
    }

    private static string ListRow(string id, string producerId, string state) =>
        string.Format(CultureInfo.InvariantCulture, "{0,-30} {1,-12} {2}", id, producerId, state);

    private static string DescribeRow(params string[] columns) =>
        string.Format(CultureInfo.InvariantCulture, "{0,-30} {1,-12} {2,-14} {3,-17} {4,-21} {5,-30} {6,-28} {7,-22} {8}", columns);
}
