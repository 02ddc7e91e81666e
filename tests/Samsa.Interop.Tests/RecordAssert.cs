using System.Globalization;
using System.Text;
using Samsa.Interop.Tests.Model;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>Exact comparisons of produced, acknowledged and consumed records, with readable failures.</summary>
public static class RecordAssert
{
    private const int ShownDifferences = 12;

    /// <summary>
    /// Each record was acknowledged on its own partition, and a partition's
    /// records got offsets 0, 1, 2, ... in the order they were sent.
    /// </summary>
    public static void DeliveriesAreDense(IReadOnlyList<TestRecord> records, IReadOnlyList<DeliveryReport> reports, string who)
    {
        Assert.Equal(records.Count, reports.Count);
        var next = new Dictionary<int, long>();
        var problems = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            var expectedOffset = next.GetValueOrDefault(records[i].Partition);
            next[records[i].Partition] = expectedOffset + 1;
            if (reports[i].Partition != records[i].Partition || reports[i].Offset != expectedOffset)
            {
                problems.Add($"record {i}: acknowledged at partition {reports[i].Partition} offset {reports[i].Offset}, " +
                             $"expected partition {records[i].Partition} offset {expectedOffset}");
            }
        }
        if (problems.Count > 0)
        {
            throw new XunitException($"{who}: delivery reports are not dense per partition:\n  " + string.Join("\n  ", problems.Take(ShownDifferences)) +
                                     (problems.Count > ShownDifferences ? $"\n  ... {problems.Count - ShownDifferences} more" : ""));
        }
    }

    /// <summary>
    /// The consumer read exactly the expected records: per partition the same
    /// keys, values and headers in order at offsets 0..n-1, nothing missing,
    /// nothing extra. Timestamps must equal the input's, or, when
    /// <paramref name="timestampWindow"/> is given (kcat stamps its own),
    /// lie within it.
    /// </summary>
    public static void ConsumedExactly(
        IReadOnlyList<TestRecord> expected,
        ConsumeResult consumed,
        string who,
        (long From, long To)? timestampWindow = null)
    {
        var problems = new List<string>();
        if (consumed.Errors.Count > 0)
        {
            problems.Add("consumer errors: " + string.Join("; ", consumed.Errors));
        }
        for (var partition = 0; partition < RecordSets.Partitions; partition++)
        {
            var want = expected.Where(r => r.Partition == partition).ToList();
            var got = consumed.Records.Where(r => r.Partition == partition).ToList();
            for (var i = 0; i < Math.Max(want.Count, got.Count); i++)
            {
                if (i >= got.Count)
                {
                    problems.Add($"p{partition} #{i}: missing; expected {Show(want[i], i)}");
                    continue;
                }
                if (i >= want.Count)
                {
                    problems.Add($"p{partition} #{i}: extra record {Show(got[i])}");
                    continue;
                }
                var differences = Compare(want[i], i, got[i], timestampWindow);
                if (differences.Length > 0)
                {
                    problems.Add($"p{partition} #{i}: {differences}\n      expected {Show(want[i], i)}\n      got      {Show(got[i])}");
                }
            }
        }
        var stray = consumed.Records.Where(r => r.Partition is < 0 or >= RecordSets.Partitions).ToList();
        problems.AddRange(stray.Select(r => $"record from unexpected partition: {Show(r)}"));
        Fail(problems, who, $"{consumed.Records.Count} records consumed, {expected.Count} expected, consumer complete: {consumed.Complete}", consumed.Diagnostics);
    }

    /// <summary>Two consumers saw identical records, timestamps included.</summary>
    public static void SameRecords(ConsumeResult first, ConsumeResult second, string who)
    {
        var a = first.Records.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
        var b = second.Records.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
        var problems = new List<string>();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            // Timestamp types are compared only where both clients report one (KafkaJS does not).
            var bothTyped = i < a.Count && i < b.Count && a[i].TimestampType is not null && b[i].TimestampType is not null;
            var left = i < a.Count ? (bothTyped ? Show(a[i]) : ShowUntyped(a[i])) : "<none>";
            var right = i < b.Count ? (bothTyped ? Show(b[i]) : ShowUntyped(b[i])) : "<none>";
            if (left != right)
            {
                problems.Add($"#{i}:\n      first  {left}\n      second {right}");
            }
        }
        Fail(problems, who, $"{a.Count} vs {b.Count} records", second.Diagnostics);
    }

    private static string Compare(TestRecord want, long offset, ConsumedRecord got, (long From, long To)? window)
    {
        var d = new List<string>();
        if (got.Offset != offset)
        {
            d.Add($"offset {got.Offset} != {offset}");
        }
        if (got.Key != want.Key)
        {
            d.Add("key differs");
        }
        if (got.Value != want.Value)
        {
            d.Add(got.Value is not null && want.Value is not null
                ? $"value differs (lengths {got.Value.Length} vs {want.Value.Length})"
                : "value differs (null vs non-null)");
        }
        if (!got.Headers.SequenceEqual(want.Headers))
        {
            d.Add("headers differ");
        }
        if (got.TimestampType is not null && got.TimestampType != "create")
        {
            d.Add($"timestamp type {got.TimestampType}, expected create");
        }
        if (window is { } w)
        {
            if (got.Timestamp < w.From || got.Timestamp > w.To)
            {
                d.Add($"timestamp {got.Timestamp} outside the producer's run [{w.From}, {w.To}]");
            }
        }
        else if (got.Timestamp != want.Timestamp)
        {
            d.Add($"timestamp {got.Timestamp} != {want.Timestamp}");
        }
        return string.Join(", ", d);
    }

    private static void Fail(List<string> problems, string who, string summary, string diagnostics)
    {
        if (problems.Count == 0)
        {
            return;
        }
        var message = new StringBuilder();
        message.Append(who).Append(": ").Append(problems.Count).Append(" problem(s); ").AppendLine(summary);
        foreach (var problem in problems.Take(ShownDifferences))
        {
            message.Append("  ").AppendLine(problem);
        }
        if (problems.Count > ShownDifferences)
        {
            message.Append("  ... ").Append(problems.Count - ShownDifferences).AppendLine(" more");
        }
        message.AppendLine("--- consumer output ---").Append(Infrastructure.ProcessResult.Clip(diagnostics));
        throw new XunitException(message.ToString());
    }

    private static string Show(TestRecord r, long offset) =>
        Show(r.Partition, offset, r.Timestamp, r.Key, r.Value, r.Headers);

    private static string Show(ConsumedRecord r) =>
        ShowUntyped(r) + (r.TimestampType is null ? "" : $" ({r.TimestampType})");

    private static string ShowUntyped(ConsumedRecord r) =>
        Show(r.Partition, r.Offset, r.Timestamp, r.Key, r.Value, r.Headers);

    private static string Show(int partition, long offset, long timestamp, string? key, string? value, IReadOnlyList<Header> headers) =>
        string.Create(CultureInfo.InvariantCulture,
            $"p{partition}@{offset} ts={timestamp} key={Text(key)} value={Text(value)} headers=[{string.Join(", ", headers)}]");

    private static string Text(string? s) => s switch
    {
        null => "<null>",
        { Length: > 48 } => $"\"{s[..32]}...\" ({s.Length} chars, hash {StableHash(s):x8})",
        _ => $"\"{s}\"",
    };

    private static uint StableHash(string s)
    {
        var hash = 2166136261u;
        foreach (var c in s)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}
