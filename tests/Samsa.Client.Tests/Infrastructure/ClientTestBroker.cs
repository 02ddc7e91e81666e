using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Client.Admin;

namespace Samsa.Client.Tests.Infrastructure;

/// <summary>An in-process broker on an ephemeral loopback port with its own temporary data directory.</summary>
internal sealed class ClientTestBroker : IAsyncDisposable
{
    private readonly BrokerConfig _config;

    private ClientTestBroker(SamsaBroker broker, string dataDir, BrokerConfig config)
    {
        Broker = broker;
        DataDir = dataDir;
        _config = config;
    }

    public SamsaBroker Broker { get; private set; }

    public string DataDir { get; }

    public int Port => Broker.BoundEndpoints[0].EndPoint.Port;

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public static async Task<ClientTestBroker> StartAsync(Func<BrokerConfig, BrokerConfig>? configure = null)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "samsa-client-test-" + Guid.NewGuid().ToString("N"));
        var config = new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [dataDir],
        };
        config = configure?.Invoke(config) ?? config;
        return new ClientTestBroker(await SamsaBroker.StartAsync(config), dataDir, config);
    }

    /// <summary>Creates a topic through the admin client (replication factor 1: a single broker).</summary>
    public async Task CreateTopicAsync(string name, int partitions)
    {
        await using var admin = await AdminClient.ConnectAsync(BootstrapServers);
        await admin.CreateTopicAsync(name, partitions, replicationFactor: 1);
    }

    /// <summary>Stops the broker and starts a new one on the same data directory and port.</summary>
    public async Task RestartAsync()
    {
        int port = Port;
        await Broker.StopAsync();
        Broker = await SamsaBroker.StartAsync(_config with { Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", port)] });
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
