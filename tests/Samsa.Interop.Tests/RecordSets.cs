using System.Text;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests;

/// <summary>
/// Deterministic records for the interop tests: keyed, spread unevenly over
/// the partitions, with UTF-8 text in keys, values and headers, an empty
/// value, records without headers, a null header value, a repeated header
/// key, a 20 KB value and an out-of-order timestamp.
/// </summary>
public static class RecordSets
{
    public const int Partitions = 3;

    /// <summary>Records shaped to what <paramref name="producer"/> can send.</summary>
    public static IReadOnlyList<TestRecord> For(InteropClient producer, int count) =>
        Mixed(producer.Name, count, producer.KeepsInputTimestampsAndHeaders, producer.SendsNullHeaderValues);

    /// <summary>
    /// Records <paramref name="first"/> .. first+count-1. With
    /// <paramref name="perRecordHeaders"/> false the headers change only every
    /// ten records, so kcat (headers fixed per invocation) can send them.
    /// </summary>
    public static IReadOnlyList<TestRecord> Mixed(
        string source, int count, bool perRecordHeaders = true, bool nullHeaderValues = true, int first = 0, long? baseTimestamp = null)
    {
        var start = baseTimestamp ?? (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000 * 1000) - 600_000;
        var records = new List<TestRecord>(count);
        for (var i = first; i < first + count; i++)
        {
            records.Add(new TestRecord(
                PartitionOf(i),
                KeyOf(i),
                ValueOf(i, source),
                WithoutNullValues(perRecordHeaders ? RecordHeaders(i, source) : BlockHeaders(i / 10, source), !nullHeaderValues),
                TimestampOf(i, start)));
        }
        return records;
    }

    private static int PartitionOf(int i) => i % 5 == 4 ? 0 : i % Partitions;

    private static string KeyOf(int i) => i % 9 == 2 ? $"ключ-鍵-🔑-{i}" : $"key-{i:D3}";

    private static string ValueOf(int i, string source) => i switch
    {
        _ when i % 17 == 5 => "",
        _ when i % 31 == 7 => Large(i),
        _ when i % 8 == 3 => $"värde Ω 値 🚀 {i}",
        _ => $"value {i} from {source}",
    };

    private static long TimestampOf(int i, long start) =>
        i % 13 == 6 ? start + (i * 1000L) - 5_000 : start + (i * 1000L) + (i % 7);

    private static IReadOnlyList<Header> RecordHeaders(int i, string source) => (i % 10) switch
    {
        4 => [],
        8 => [new("trace", $"t-{i}"), new("empty", ""), new("nothing", null)],
        6 => [new("trace", $"t-{i}"), new("dup", "first"), new("dup", "second")],
        _ => [new("trace", $"t-{i}"), new("source", source), new("ünï-ключ", $"値-{i % 3}")],
    };

    private static IReadOnlyList<Header> BlockHeaders(int block, string source) => (block % 3) switch
    {
        1 => [],
        2 => [new("block", $"b-{block}"), new("empty", ""), new("nothing", null), new("dup", "first"), new("dup", "second")],
        _ => [new("block", $"b-{block}"), new("source", source), new("ünï-ключ", "値")],
    };

    private static IReadOnlyList<Header> WithoutNullValues(IReadOnlyList<Header> headers, bool drop) =>
        drop ? headers.Where(h => h.Value is not null).ToList() : headers;

    private static string Large(int i)
    {
        var text = new StringBuilder();
        while (text.Length < 20_000)
        {
            text.Append(i).Append(": the quick brown fox — ünïcödé — 速い茶色の狐 | ");
        }
        return text.ToString();
    }
}
