using System.Text.Json;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests.Clients;

/// <summary>Reads and writes the JSON the client drivers exchange with the tests.</summary>
internal static class ClientJson
{
    public static string SerializeRecords(IReadOnlyList<TestRecord> records)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var record in records)
            {
                writer.WriteStartObject();
                writer.WriteNumber("partition", record.Partition);
                writer.WriteString("key", record.Key);
                writer.WriteString("value", record.Value);
                writer.WriteStartArray("headers");
                foreach (var header in record.Headers)
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(header.Key);
                    writer.WriteStringValue(header.Value);
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
                writer.WriteNumber("timestamp", record.Timestamp);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The last non-empty stdout line, parsed; the drivers print exactly one JSON document.</summary>
    public static JsonElement ParseOutput(ProcessResult result)
    {
        var line = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (line is null)
        {
            throw new ClientProcessException($"the client printed no JSON\n{result.Describe()}");
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ClientProcessException($"the client printed invalid JSON ({e.Message})\n{result.Describe()}", e);
        }
    }

    public static IReadOnlyList<DeliveryReport> ReadDeliveries(JsonElement root) =>
        root.GetProperty("deliveries").EnumerateArray()
            .Select(d => new DeliveryReport(d.GetProperty("partition").GetInt32(), d.GetProperty("offset").GetInt64()))
            .ToList();

    public static ConsumedRecord ReadConsumed(JsonElement r) => new(
        r.GetProperty("partition").GetInt32(),
        r.GetProperty("offset").GetInt64(),
        r.GetProperty("key").GetString(),
        r.GetProperty("value").GetString(),
        ReadHeaderPairs(r.GetProperty("headers")),
        r.GetProperty("timestamp").GetInt64(),
        r.TryGetProperty("timestamp_type", out var type) ? type.GetString() : null);

    public static ConsumeResult ReadConsumeResult(JsonElement root, ProcessResult process) => new(
        root.GetProperty("records").EnumerateArray().Select(ReadConsumed).ToList(),
        root.GetProperty("complete").GetBoolean(),
        root.GetProperty("errors").EnumerateArray().Select(e => e.ToString()).ToList(),
        process.Describe());

    public static TopicMetadata ReadMetadata(JsonElement root) => new(
        root.GetProperty("topic").GetString()!,
        root.GetProperty("error").GetInt32(),
        root.GetProperty("brokers").EnumerateArray()
            .Select(b => new BrokerMetadata(b.GetProperty("id").GetInt32(), b.GetProperty("host").GetString()!, b.GetProperty("port").GetInt32()))
            .ToList(),
        root.GetProperty("partitions").EnumerateArray()
            .Select(p => new PartitionMetadata(
                p.GetProperty("partition").GetInt32(),
                p.GetProperty("leader").GetInt32(),
                p.GetProperty("replicas").EnumerateArray().Select(x => x.GetInt32()).ToList(),
                p.GetProperty("isr").EnumerateArray().Select(x => x.GetInt32()).ToList(),
                p.GetProperty("error").GetInt32()))
            .ToList());

    private static List<Header> ReadHeaderPairs(JsonElement headers) =>
        headers.EnumerateArray().Select(h => new Header(h[0].GetString()!, h[1].GetString())).ToList();
}
