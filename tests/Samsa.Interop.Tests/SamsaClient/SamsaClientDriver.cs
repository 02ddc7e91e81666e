using System.Diagnostics;
using System.Text;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Client.Producer;
using Samsa.Interop.Tests.Model;
using Samsa.Protocol;
using ConsumedRecord = Samsa.Interop.Tests.Model.ConsumedRecord;
using ConsumeResult = Samsa.Interop.Tests.Model.ConsumeResult;
using DeliveryReport = Samsa.Interop.Tests.Model.DeliveryReport;
using Header = Samsa.Interop.Tests.Model.Header;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// Samsa.Client (the managed .NET client) driven in-process in the shapes the process drivers use:
/// <see cref="TestRecord"/>s in, <see cref="DeliveryReport"/>s and <see cref="ConsumeResult"/> out, so
/// <see cref="RecordAssert"/> compares it with the real clients. Stateless; each call builds and disposes its own client.
/// </summary>
public static class SamsaClientDriver
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Creates a topic through Samsa.Client's admin client.</summary>
    public static async Task CreateTopicAsync(string bootstrap, string topic, int partitions)
    {
        await using var admin = await AdminClient.ConnectAsync(bootstrap);
        await admin.CreateTopicAsync(topic, partitions, 1);
    }

    /// <summary>
    /// Sends every record to its own partition with its key, value, headers and CreateTime timestamp through a typed
    /// producer (default settings: idempotent, acks=all) with <paramref name="codec"/>; one report per record, in input order.
    /// </summary>
    public static async Task<IReadOnlyList<DeliveryReport>> ProduceAsync(
        string bootstrap, string topic, IReadOnlyList<TestRecord> records, string codec = "none", IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 };
        config.Set("compression.type", codec);
        foreach (var (key, value) in settings ?? [])
        {
            config.Set(key, value);
        }
        using var producer = new ProducerBuilder<string?, string?>(config).Build();
        var pending = records.Select(r => producer.ProduceAsync(new TopicPartition(topic, r.Partition), ToMessage(r))).ToList();
        var results = await Task.WhenAll(pending).WaitAsync(Deadline);
        return [.. results.Select(d => new DeliveryReport(d.Partition, d.Offset.Value))];
    }

    public static Message<string?, string?> ToMessage(TestRecord record)
    {
        var headers = new Headers();
        foreach (var header in record.Headers)
        {
            headers.Add(header.Key, header.Value is null ? null : Encoding.UTF8.GetBytes(header.Value));
        }
        return new Message<string?, string?>
        {
            Key = record.Key,
            Value = record.Value,
            Headers = headers,
            Timestamp = new Timestamp(record.Timestamp, TimestampType.CreateTime),
        };
    }

    /// <summary>
    /// Reads partitions 0..partitions-1 from the beginning by manual assignment (no group) until every partition's
    /// position has reached the high watermark taken before the first read and at least <paramref name="count"/>
    /// records arrived, or the deadline passes (then <see cref="ConsumeResult.Complete"/> is false).
    /// </summary>
    public static ConsumeResult Consume(string bootstrap, string topic, int partitions, int count)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrap };
        config.Set("check.crcs", "true");
        using var consumer = new ConsumerBuilder<string?, string?>(config).Build();
        var all = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        var ends = all.ToDictionary(tp => tp.Partition, tp => consumer.QueryWatermarkOffsets(tp, Deadline).High.Value);
        consumer.Assign(all.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var next = all.ToDictionary(tp => tp.Partition, _ => 0L);
        var records = new List<ConsumedRecord>();
        var errors = new List<string>();
        var clock = Stopwatch.StartNew();
        bool Done() => records.Count >= count && ends.All(e => next[e.Key] >= e.Value);
        while (!Done() && clock.Elapsed < Deadline)
        {
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
                {
                    records.Add(FromResult(result));
                    next[result.Partition] = result.Offset.Value + 1;
                }
            }
            catch (KafkaException e)
            {
                errors.Add(e.Message);
                if (errors.Count > 20)
                {
                    break;
                }
            }
        }
        string ShowEnds() => string.Join(", ", ends.Select(e => $"p{e.Key} next {next[e.Key]} / end {e.Value}"));
        return new ConsumeResult(records, Done(), errors, $"Samsa.Client consumer: {records.Count} records in {clock.ElapsedMilliseconds} ms; {ShowEnds()}");
    }

    public static ConsumedRecord FromResult(ConsumeResult<string?, string?> result)
    {
        var headers = new List<Header>();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(new Header(header.Key, header.Value is null ? null : Encoding.UTF8.GetString(header.Value)));
        }
        var timestamp = result.Message.Timestamp;
        return new ConsumedRecord(result.Partition, result.Offset.Value, result.Message.Key, result.Message.Value, headers, timestamp.UnixTimestampMs,
            timestamp.Type switch { TimestampType.CreateTime => "create", TimestampType.LogAppendTime => "log_append", _ => "none" });
    }
}
