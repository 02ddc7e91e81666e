using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests;

/// <summary>
/// Log compaction seen by a real client: kcat writes several values per key to a compacted topic with tiny
/// segments, the broker's cleaner runs in the background, and kcat then reads each key once, with its newest value
/// at the offset it was written to, and every other record untouched.
/// </summary>
public sealed class CompactionTests
{
    private const int Keys = 8;
    private const int Rounds = 5;

    /// <summary>Topics compacted by default, 1 KiB segments, cleaned as soon as anything is dirty.</summary>
    private static readonly IReadOnlyDictionary<string, string> Overrides = new Dictionary<string, string>
    {
        ["log.cleanup.policy"] = "compact",
        ["log.segment.bytes"] = "1024",
        ["log.cleaner.min.cleanable.ratio"] = "0.01",
        ["log.cleaner.backoff.ms"] = "100",
    };

    [Fact]
    public async Task Kcat_reads_only_the_newest_value_per_key_after_cleaning()
    {
        await using var broker = await BrokerProcess.LaunchAsync(Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            var kcat = InteropClients.Kcat;
            var bootstrap = broker.BootstrapServers;
            var topic = InteropFailure.NewTopic("compacted");

            // One kcat run per round, so each round is its own batch and the duplicates span several segments.
            var newest = new Dictionary<string, (long Offset, string Value)>();
            for (var round = 0; round < Rounds; round++)
            {
                var records = Enumerable.Range(0, Keys)
                    .Select(k => Record($"key-{k}", $"value-{k}-round-{round}-" + new string('v', 40)))
                    .ToList();
                var reports = await kcat.ProduceAsync(bootstrap, topic, records);
                for (var i = 0; i < records.Count; i++)
                {
                    newest[records[i].Key!] = (reports[i].Offset, records[i].Value!);
                }
            }

            // Filler with distinct keys, in two runs larger than a segment each: the segment holding the last
            // duplicates rolls, so every duplicate is in a segment the cleaner may clean.
            var filler = new List<(TestRecord Record, long Offset)>();
            for (var run = 0; run < 2; run++)
            {
                var records = Enumerable.Range(0, 20)
                    .Select(i => Record($"filler-{run}-{i}", new string('f', 60)))
                    .ToList();
                var reports = await kcat.ProduceAsync(bootstrap, topic, records);
                filler.AddRange(records.Select((r, i) => (r, reports[i].Offset)));
            }

            ConsumeResult? consumed = null;
            await Poll.UntilAsync(
                async () =>
                {
                    consumed = await kcat.ConsumeAsync(bootstrap, topic, 1, 0);
                    return consumed.Records.Count(r => r.Key!.StartsWith("key-", StringComparison.Ordinal)) == Keys;
                },
                TimeSpan.FromSeconds(60),
                "the cleaner leaves one record per key",
                () => consumed is null ? "nothing consumed" : string.Join('\n', consumed.Records.Select(r => $"{r.Offset} {r.Key} {r.Value}")));

            var all = consumed!.Records;
            Assert.Equal(all.Select(r => r.Offset).Order(), all.Select(r => r.Offset));
            var keyed = all.Where(r => r.Key!.StartsWith("key-", StringComparison.Ordinal)).ToList();
            Assert.Equal(
                newest.OrderBy(e => e.Value.Offset).Select(e => (e.Key, e.Value.Offset, e.Value.Value)),
                keyed.Select(r => (r.Key!, r.Offset, r.Value!)));
            Assert.Equal(
                filler.Select(f => (f.Record.Key!, f.Offset, f.Record.Value!)),
                all.Where(r => r.Key!.StartsWith("filler-", StringComparison.Ordinal)).Select(r => (r.Key!, r.Offset, r.Value!)));
        });
    }

    private static TestRecord Record(string key, string value) => new(0, key, value, [], 0);
}
