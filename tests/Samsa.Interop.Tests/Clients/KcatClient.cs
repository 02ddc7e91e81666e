using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// kcat (librdkafka) from Debian's packages. kcat has no admin API, cannot
/// take per-record headers or timestamps from its input, and reports
/// deliveries only as verbose log lines; see <see cref="ProduceAsync"/>.
/// </summary>
public sealed partial class KcatClient : InteropClient
{
    /// <summary>Separates key from value on an input line (ASCII unit separator).</summary>
    private const char KeyDelimiter = '\u001f';

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    public override string Name => "kcat";

    public override bool HasAdmin => false;

    public override bool CanConsume => true;

    public override bool KeepsInputTimestampsAndHeaders => false;

    public override Task CreateTopicAsync(string bootstrap, string topic, int partitions) =>
        throw new NotSupportedException("kcat has no admin API; create the topic with another client");

    public override async Task<TopicMetadata> GetMetadataAsync(string bootstrap, string topic)
    {
        var result = await RunAsync(["-b", bootstrap, "-L", "-J", "-t", topic, "-m", "20"]).ConfigureAwait(false);
        using var document = JsonDocument.Parse(result.Stdout);
        var root = document.RootElement;
        var entry = root.GetProperty("topics").EnumerateArray().FirstOrDefault(t => t.GetProperty("topic").GetString() == topic);
        if (entry.ValueKind == JsonValueKind.Undefined)
        {
            throw new ClientProcessException($"kcat -L lists no topic {topic}\n{result.Describe()}");
        }
        return new TopicMetadata(
            topic,
            ErrorCode(entry),
            root.GetProperty("brokers").EnumerateArray().Select(ParseBroker).ToList(),
            entry.GetProperty("partitions").EnumerateArray()
                .Select(p => new PartitionMetadata(
                    p.GetProperty("partition").GetInt32(),
                    p.GetProperty("leader").GetInt32(),
                    p.GetProperty("replicas").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).ToList(),
                    p.GetProperty("isrs").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).ToList(),
                    ErrorCode(p)))
                .OrderBy(p => p.Partition)
                .ToList());
    }

    /// <summary>
    /// Produces with one kcat invocation per run of consecutive records of a
    /// partition that share the same headers (<c>-P -p N -K delim -H k=v</c>);
    /// the input's timestamps are ignored: librdkafka stamps CreateTime itself.
    /// </summary>
    public override async Task<IReadOnlyList<DeliveryReport>> ProduceAsync(string bootstrap, string topic, IReadOnlyList<TestRecord> records)
    {
        var reports = new DeliveryReport?[records.Count];
        foreach (var run in Runs(records))
        {
            var arguments = new List<string>
            {
                "-b", bootstrap, "-P", "-t", topic, "-p", run.Partition.ToString(CultureInfo.InvariantCulture),
                "-K", "\\x1f", "-v", "-v",
                "-X", "acks=all", "-X", "message.timeout.ms=30000", "-X", "max.in.flight.requests.per.connection=1",
            };
            foreach (var header in run.Headers)
            {
                arguments.Add("-H");
                arguments.Add(header.Value is null ? header.Key : $"{header.Key}={header.Value}");
            }
            var input = new StringBuilder();
            foreach (var index in run.Indexes)
            {
                var record = records[index];
                input.Append(record.Key).Append(KeyDelimiter).Append(record.Value).Append('\n');
            }

            var result = await RunAsync(arguments, input.ToString()).ConfigureAwait(false);
            var delivered = DeliveredLine().Matches(result.Stderr);
            if (delivered.Count != run.Indexes.Count)
            {
                throw new ClientProcessException(
                    $"kcat reported {delivered.Count} deliveries for {run.Indexes.Count} records\n{result.Describe()}");
            }
            // librdkafka reports a partition's deliveries in produce order.
            for (var i = 0; i < delivered.Count; i++)
            {
                reports[run.Indexes[i]] = new DeliveryReport(
                    int.Parse(delivered[i].Groups[1].Value, CultureInfo.InvariantCulture),
                    long.Parse(delivered[i].Groups[2].Value, CultureInfo.InvariantCulture));
            }
        }
        return reports.Select(r => r!).ToList();
    }

    public override async Task<ConsumeResult> ConsumeAsync(string bootstrap, string topic, int partitions, int count)
    {
        var records = new List<ConsumedRecord>();
        var diagnostics = new StringBuilder();
        for (var partition = 0; partition < partitions; partition++)
        {
            var result = await RunAsync(
            [
                "-b", bootstrap, "-C", "-t", topic, "-p", partition.ToString(CultureInfo.InvariantCulture),
                "-o", "beginning", "-e", "-J", "-X", "check.crcs=true",
            ]).ConfigureAwait(false);
            diagnostics.AppendLine(result.Describe());
            foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                using var document = JsonDocument.Parse(line);
                records.Add(ParseMessage(document.RootElement));
            }
        }
        return new ConsumeResult(records, records.Count >= count, [], diagnostics.ToString());
    }

    protected override async Task CheckInstalledAsync()
    {
        ProcessResult result;
        try
        {
            result = await ClientProcess.RunAsync("kcat", ["-V"], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (ClientProcessException e)
        {
            throw new ClientProcessException("kcat is not installed: install it with 'DEBIAN_FRONTEND=noninteractive apt-get install -y kcat'", e);
        }
        if (result.ExitCode != 0 || !result.Stdout.Contains("librdkafka", StringComparison.Ordinal))
        {
            throw new ClientProcessException($"'kcat -V' did not identify kcat\n{result.Describe()}");
        }
    }

    private async Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, string? input = null)
    {
        await EnsureInstalledAsync().ConfigureAwait(false);
        var result = await ClientProcess.RunAsync("kcat", arguments, Timeout, standardInput: input).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ClientProcessException($"kcat failed\n{result.Describe()}");
        }
        return result;
    }

    private static IEnumerable<Run> Runs(IReadOnlyList<TestRecord> records)
    {
        foreach (var partition in records.Select(r => r.Partition).Distinct().Order())
        {
            Run? current = null;
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                if (record.Partition != partition)
                {
                    continue;
                }
                if (record.Key is null || record.Value is null ||
                    $"{record.Key}{record.Value}".AsSpan().IndexOfAny(KeyDelimiter, '\n') >= 0 ||
                    record.Key.Length + record.Value.Length == 0 ||
                    record.Headers.Any(h => h.Key.Contains('=', StringComparison.Ordinal)))
                {
                    throw new ArgumentException($"kcat cannot send record {i} as given: {record}");
                }
                if (current is null || !current.Headers.SequenceEqual(record.Headers))
                {
                    if (current is not null)
                    {
                        yield return current;
                    }
                    current = new Run(partition, record.Headers, []);
                }
                current.Indexes.Add(i);
            }
            if (current is not null)
            {
                yield return current;
            }
        }
    }

    private static ConsumedRecord ParseMessage(JsonElement m)
    {
        var headers = new List<Header>();
        if (m.TryGetProperty("headers", out var flat))
        {
            // kcat prints headers as one flat array: name, value, name, value, ...
            var items = flat.EnumerateArray().ToList();
            for (var i = 0; i + 1 < items.Count; i += 2)
            {
                headers.Add(new Header(items[i].GetString()!, items[i + 1].GetString()));
            }
        }
        var hasTimestamp = m.TryGetProperty("ts", out var ts);
        return new ConsumedRecord(
            m.GetProperty("partition").GetInt32(),
            m.GetProperty("offset").GetInt64(),
            m.GetProperty("key").GetString(),
            m.GetProperty("payload").GetString(),
            headers,
            hasTimestamp ? ts.GetInt64() : -1,
            m.TryGetProperty("tstype", out var type) ? type.GetString() : "none");
    }

    private static BrokerMetadata ParseBroker(JsonElement b)
    {
        var name = b.GetProperty("name").GetString()!;
        var colon = name.LastIndexOf(':');
        return new BrokerMetadata(b.GetProperty("id").GetInt32(), name[..colon], int.Parse(name[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    private static int ErrorCode(JsonElement element) =>
        element.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null ? -1 : 0;

    [GeneratedRegex(@"Message delivered to partition (-?\d+) \(offset (-?\d+)\)")]
    private static partial Regex DeliveredLine();

    private sealed record Run(int Partition, IReadOnlyList<Header> Headers, List<int> Indexes);
}
