using System.Globalization;
using System.Text.Json;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>One record as a driver reports it: where it is and what it holds.</summary>
public sealed record TxnRecord(int Partition, long Offset, string? Key, string? Value)
{
    public override string ToString() => $"{Partition}/{Offset} {Key}={Value}";

    public static TxnRecord Read(JsonElement r) =>
        new(r[0].GetInt32(), r[1].GetInt64(), r[2].GetString(), r[3].GetString());

    public static List<TxnRecord> ReadAll(JsonElement array) => [.. array.EnumerateArray().Select(Read)];
}

/// <summary>What one consumer read: the records in the order it got them and the (low, high) watermarks it was told.</summary>
public sealed record TxnView(string Isolation, IReadOnlyList<TxnRecord> Records, IReadOnlyDictionary<int, (long Low, long High)> Watermarks)
{
    public IReadOnlyList<TxnRecord> InPartition(int partition) => [.. Records.Where(r => r.Partition == partition)];
}

/// <summary>
/// Runs clients/python/txn_client.py (confluent-kafka-python) to completion and returns the JSON events it printed,
/// one per line. A non-zero exit or a timeout throws with the client's output.
/// </summary>
public static class TxnDriver
{
    public const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(ClientPaths.PythonDirectory, "txn_client.py");

    /// <summary>The driver's arguments for a subcommand: script, command, bootstrap and partitions first.</summary>
    public static List<string> Arguments(string command, string bootstrap, int partitions, params string[] rest)
    {
        var all = new List<string> { Script, command, "--bootstrap", bootstrap, "--partitions", Text(partitions) };
        all.AddRange(rest);
        return all;
    }

    public static async Task<IReadOnlyList<JsonElement>> RunAsync(
        string command, string bootstrap, int partitions, TimeSpan timeout, params string[] rest)
    {
        await InteropClients.ConfluentKafka.EnsureInstalledAsync();
        var arguments = Arguments(command, bootstrap, partitions, rest);
        arguments.Add("--timeout");
        arguments.Add(Text((int)timeout.TotalSeconds));
        var result = await ClientProcess.RunAsync(Python, arguments, timeout + TimeSpan.FromSeconds(15),
            workingDirectory: ClientPaths.PythonDirectory);
        if (result.ExitCode != 0)
        {
            throw new ClientProcessException($"txn_client.py {command} failed\n{result.Describe()}");
        }
        return ParseLines(result.Stdout, result.Describe);
    }

    /// <summary>Every record of the topic as a consumer with that isolation level reads it, from the beginning to the end of partition.</summary>
    public static async Task<TxnView> ConsumeAsync(string bootstrap, string topic, int partitions, string isolation, TimeSpan? timeout = null)
    {
        var events = await RunAsync("consume", bootstrap, partitions, timeout ?? TimeSpan.FromSeconds(30),
            "--topic", topic, "--isolation", isolation);
        var view = Single(events, "records");
        return new TxnView(isolation, TxnRecord.ReadAll(view.GetProperty("records")), ReadWatermarks(view.GetProperty("watermarks")));
    }

    /// <summary>
    /// Reads the topic again until the consumer sees at least <paramref name="count"/> records or the deadline
    /// passes, and returns the last view either way for the caller's exact checks. A commit returns to the client
    /// once the coordinator has made it durable; the markers, and with them the LSO, may follow a moment later.
    /// </summary>
    public static async Task<TxnView> ConsumeAtLeastAsync(string bootstrap, string topic, int partitions, string isolation, int count, TimeSpan? deadline = null)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var view = await ConsumeAsync(bootstrap, topic, partitions, isolation);
            if (view.Records.Count >= count || stopwatch.Elapsed > (deadline ?? TimeSpan.FromSeconds(30)))
            {
                return view;
            }
            await Task.Delay(100);
        }
    }

    public static Dictionary<int, (long Low, long High)> ReadWatermarks(JsonElement element) =>
        element.EnumerateObject().ToDictionary(
            p => int.Parse(p.Name, CultureInfo.InvariantCulture),
            p => (p.Value[0].GetInt64(), p.Value[1].GetInt64()));

    /// <summary>{"partition": offset} as the KafkaJS driver prints a group's committed offsets.</summary>
    public static Dictionary<int, long> ReadGroupOffsets(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetInt64());

    public static JsonElement Single(IReadOnlyList<JsonElement> events, string name)
    {
        var matching = events.Where(e => Event(e) == name).ToList();
        Assert.True(matching.Count == 1,
            $"expected one '{name}' event from the driver, got {matching.Count}: {string.Join('\n', events.Select(e => e.GetRawText()))}");
        return matching[0];
    }

    public static string? Event(JsonElement e) => e.TryGetProperty("event", out var name) ? name.GetString() : null;

    public static List<JsonElement> ParseLines(string stdout, Func<string> describe)
    {
        var events = new List<JsonElement>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                events.Add(document.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new ClientProcessException($"the driver printed a line that is not JSON ({e.Message}): {line}\n{describe()}", e);
            }
        }
        return events;
    }

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
