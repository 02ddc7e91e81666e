using System.Globalization;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// A client driven through one of the scripts under clients/ (Python or Node).
/// Every script takes the same subcommands and prints one JSON document.
/// </summary>
public abstract class ScriptClient : InteropClient
{
    /// <summary>How long the client itself may wait on the broker, per operation.</summary>
    protected static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Extra time before the harness kills a client that ignores its own timeout.</summary>
    private static readonly TimeSpan KillMargin = TimeSpan.FromSeconds(20);

    protected abstract string Interpreter { get; }

    protected abstract string ScriptPath { get; }

    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    public override async Task CreateTopicAsync(string bootstrap, string topic, int partitions) =>
        await RunAsync("create-topic", "--bootstrap", bootstrap, "--topic", topic, "--partitions", Text(partitions)).ConfigureAwait(false);

    public override async Task<TopicMetadata> GetMetadataAsync(string bootstrap, string topic)
    {
        var result = await RunAsync("metadata", "--bootstrap", bootstrap, "--topic", topic).ConfigureAwait(false);
        return ClientJson.ReadMetadata(ClientJson.ParseOutput(result));
    }

    public override async Task<IReadOnlyList<DeliveryReport>> ProduceAsync(string bootstrap, string topic, IReadOnlyList<TestRecord> records)
    {
        var input = Path.Combine(Path.GetTempPath(), $"samsa-interop-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(input, ClientJson.SerializeRecords(records)).ConfigureAwait(false);
        try
        {
            var result = await RunAsync("produce", "--bootstrap", bootstrap, "--topic", topic, "--input", input).ConfigureAwait(false);
            var deliveries = ClientJson.ReadDeliveries(ClientJson.ParseOutput(result));
            if (deliveries.Count != records.Count)
            {
                throw new ClientProcessException($"{Name} reported {deliveries.Count} deliveries for {records.Count} records\n{result.Describe()}");
            }
            return deliveries;
        }
        finally
        {
            File.Delete(input);
        }
    }

    public override async Task<ConsumeResult> ConsumeAsync(string bootstrap, string topic, int partitions, int count)
    {
        var result = await RunAsync(
            "consume", "--bootstrap", bootstrap, "--topic", topic, "--partitions", Text(partitions), "--count", Text(count)).ConfigureAwait(false);
        return ClientJson.ReadConsumeResult(ClientJson.ParseOutput(result), result);
    }

    /// <summary>Runs one subcommand; a non-zero exit becomes an exception carrying the client's output.</summary>
    protected async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        await EnsureInstalledAsync().ConfigureAwait(false);
        var all = new List<string> { ScriptPath };
        all.AddRange(arguments);
        all.Add("--timeout");
        all.Add(Text((int)OperationTimeout.TotalSeconds));
        var result = await ClientProcess.RunAsync(
            Interpreter, all, OperationTimeout + KillMargin, workingDirectory: Path.GetDirectoryName(ScriptPath), environment: Environment).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ClientProcessException($"{Name} {arguments[0]} failed\n{result.Describe()}");
        }
        return result;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
