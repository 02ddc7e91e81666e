using System.Text.Json;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// KafkaJS 2.2.4 under Node, installed by <c>npm ci</c> in clients/node.
/// KafkaJS has no group-less consumer (no assign API): its consumer joins a
/// throwaway group and commits nothing, so consuming needs the broker's
/// group coordinator.
/// </summary>
public sealed class KafkaJsClient : ScriptClient
{
    private const string PinnedVersion = "2.2.4";

    public override string Name => "kafkajs";

    public override bool HasAdmin => true;

    public override bool CanConsume => true;

    public override bool SendsNullHeaderValues => false;

    protected override string Interpreter => "node";

    protected override string ScriptPath => Path.Combine(ClientPaths.NodeDirectory, "kafkajs_client.js");

    protected override IReadOnlyDictionary<string, string>? Environment { get; } =
        new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" };

    protected override async Task CheckInstalledAsync()
    {
        var node = await ClientProcess.RunAsync("node", ["--version"], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (node.ExitCode != 0)
        {
            throw new ClientProcessException($"kafkajs: 'node --version' failed; install Node.js 18 or newer\n{node.Describe()}");
        }
        var manifest = Path.Combine(ClientPaths.NodeDirectory, "node_modules", "kafkajs", "package.json");
        if (!File.Exists(manifest))
        {
            throw new ClientProcessException(
                $"kafkajs is not installed: {manifest} is missing. Run 'npm ci' in {ClientPaths.NodeDirectory}.");
        }
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(manifest).ConfigureAwait(false));
        var version = document.RootElement.GetProperty("version").GetString();
        if (version != PinnedVersion)
        {
            throw new ClientProcessException(
                $"kafkajs {version} is installed in {ClientPaths.NodeDirectory} but the tests pin {PinnedVersion}. Run 'npm ci' there.");
        }
    }
}
