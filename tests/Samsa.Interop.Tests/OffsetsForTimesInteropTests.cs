using System.Text.Json;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>
/// ListOffsets by timestamp through <c>offsets_for_times</c> of confluent-kafka-python (librdkafka) and kafka-python.
/// confluent-kafka-python produces batches with explicit timestamps, out of order inside batches and across them, some
/// repeated, into a topic with 2 KiB segments (so the answer is spread over several segments and their time indexes).
/// Both clients then ask for targets before every record, at every record's timestamp, one millisecond either side of
/// it, and after every record. The expected answer is worked out here from the delivery reports: the first offset
/// whose timestamp is at or after the target, or -1 when there is none.
/// </summary>
public sealed class OffsetsForTimesInteropTests : IClassFixture<BrokerFixture>
{
    private const string Driver = "offsets_for_times.py";
    private const string DebianPython = "/usr/bin/python3";
    private const long BaseTimestamp = 1_700_000_000_000;
    private const int BatchCount = 12;
    private const int RecordsPerBatch = 6;

    private readonly BrokerProcess _broker;

    public OffsetsForTimesInteropTests(BrokerFixture fixture) => _broker = fixture.Broker;

    /// <summary>
    /// <paramref name="indexIntervalBytes"/> 4096 (the default, above the segment size) leaves the time indexes empty so
    /// every lookup scans its segment from the start; 1 puts an index entry at almost every batch.
    /// </summary>
    [Theory]
    [InlineData(4096)]
    [InlineData(1)]
    public Task Offsets_for_times_returns_the_first_offset_at_or_after_each_target(int indexIntervalBytes) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var topic = InteropFailure.NewTopic("offsets-for-times");
            var batches = Batches();
            var offsets = await ProduceAsync(topic, batches, indexIntervalBytes);

            var segments = Directory.GetFiles(Path.Combine(_broker.DataDirectory, topic + "-0"), "*.log").Length;
            Assert.True(segments >= 4, $"expected the records to be spread over several segments, found {segments}");

            var records = new List<(long Offset, long Timestamp)>();
            for (int b = 0; b < batches.Length; b++)
            {
                for (int r = 0; r < batches[b].Length; r++)
                {
                    records.Add((offsets[b][r], batches[b][r]));
                }
            }
            records.Sort((x, y) => x.Offset.CompareTo(y.Offset));
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.Offset));

            var targets = Targets(records);
            foreach (var client in new[] { "confluent", "kafka-python" })
            {
                var answers = await QueryAsync(client, topic, targets);
                Assert.Equal(targets.Count, answers.Count);
                var wrong = new List<string>();
                for (int i = 0; i < targets.Count; i++)
                {
                    long target = targets[i];
                    long expected = ExpectedOffset(records, target);
                    var (offset, timestamp) = answers[i];
                    if (offset != expected)
                    {
                        wrong.Add($"target {target}: offset {offset}, expected {expected}");
                    }
                    else if (timestamp is { } t && expected >= 0 && t != records[(int)expected].Timestamp)
                    {
                        wrong.Add($"target {target}: offset {offset} with timestamp {t}, the record's is {records[(int)expected].Timestamp}");
                    }
                }
                if (wrong.Count > 0)
                {
                    throw new XunitException(
                        $"{client} offsets_for_times gave {wrong.Count} wrong answers of {targets.Count}:\n  " + string.Join("\n  ", wrong.Take(40)));
                }
            }
        });

    /// <summary>
    /// Timestamps 1000 ms apart from batch to batch and 10 ms from record to record, with every odd batch in
    /// descending order, batches 5 and 9 stamped before the batches preceding them, and runs of equal timestamps.
    /// </summary>
    private static long[][] Batches()
    {
        var batches = new long[BatchCount][];
        for (int b = 0; b < BatchCount; b++)
        {
            long batchBase = b is 5 or 9 ? BaseTimestamp + 1000L * (b - 3) + 5 : BaseTimestamp + 1000L * b;
            var timestamps = new long[RecordsPerBatch];
            for (int r = 0; r < RecordsPerBatch; r++)
            {
                timestamps[r] = batchBase + 10L * (b % 2 == 1 ? RecordsPerBatch - 1 - r : r);
            }
            if (b == 7)
            {
                timestamps[3] = timestamps[2];
            }
            if (b == 10)
            {
                timestamps[1] = timestamps[0];
                timestamps[4] = BaseTimestamp + 2000;
            }
            batches[b] = timestamps;
        }
        return batches;
    }

    private static List<long> Targets(List<(long Offset, long Timestamp)> records)
    {
        var targets = new SortedSet<long> { 0, BaseTimestamp - 1_000_000, long.MaxValue / 2 };
        foreach (var (_, timestamp) in records)
        {
            targets.Add(timestamp - 1);
            targets.Add(timestamp);
            targets.Add(timestamp + 1);
        }
        long max = records.Max(r => r.Timestamp);
        targets.Add(max + 1000);
        return [.. targets];
    }

    private static long ExpectedOffset(List<(long Offset, long Timestamp)> records, long target)
    {
        foreach (var (offset, timestamp) in records)
        {
            if (timestamp >= target)
            {
                return offset;
            }
        }
        return -1;
    }

    private async Task<long[][]> ProduceAsync(string topic, long[][] batches, int indexIntervalBytes)
    {
        var input = batches.Select((batch, b) => batch.Select((timestamp, r) => new
        {
            value = $"batch {b} record {r} " + new string((char)('a' + b), 100),
            timestamp,
        }));
        using var root = await RunDriverAsync(
            ["produce", "--bootstrap", _broker.BootstrapServers, "--topic", topic,
             "--config", "segment.bytes=2048", "--config", $"index.interval.bytes={indexIntervalBytes}"],
            JsonSerializer.Serialize(input));
        return root.RootElement.GetProperty("offsets").EnumerateArray()
            .Select(batch => batch.EnumerateArray().Select(o => o.GetInt64()).ToArray())
            .ToArray();
    }

    private async Task<List<(long Offset, long? Timestamp)>> QueryAsync(string client, string topic, List<long> targets)
    {
        using var root = await RunDriverAsync(
            ["query", "--client", client, "--bootstrap", _broker.BootstrapServers, "--topic", topic], JsonSerializer.Serialize(targets));
        var answers = new List<(long, long?)>();
        int i = 0;
        foreach (var result in root.RootElement.GetProperty("results").EnumerateArray())
        {
            Assert.Equal(targets[i++], result.GetProperty("target").GetInt64());
            var timestamp = result.GetProperty("timestamp");
            answers.Add((result.GetProperty("offset").GetInt64(), timestamp.ValueKind == JsonValueKind.Null ? null : timestamp.GetInt64()));
        }
        return answers;
    }

    private static async Task<JsonDocument> RunDriverAsync(List<string> arguments, string inputJson)
    {
        var inputPath = Path.Combine(Path.GetTempPath(), "samsa-offsets-for-times-" + Guid.NewGuid().ToString("N")[..12] + ".json");
        await File.WriteAllTextAsync(inputPath, inputJson);
        try
        {
            var result = await ClientProcess.RunAsync(
                DebianPython,
                [Path.Combine(ClientPaths.PythonDirectory, Driver), .. arguments, "--input", inputPath],
                TimeSpan.FromSeconds(120),
                workingDirectory: ClientPaths.PythonDirectory);
            if (result.ExitCode != 0)
            {
                throw new XunitException($"{Driver} {arguments[0]} failed\n{result.Describe()}");
            }
            return JsonDocument.Parse(result.Stdout);
        }
        finally
        {
            File.Delete(inputPath);
        }
    }
}
