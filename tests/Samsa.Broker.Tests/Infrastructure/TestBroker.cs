using Samsa.Broker.Config;

namespace Samsa.Broker.Tests.Infrastructure;

/// <summary>An in-process broker on an ephemeral loopback port with its own temporary data directory.</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(SamsaBroker broker, string dataDir, BrokerConfig config)
    {
        Broker = broker;
        DataDir = dataDir;
        Config = config;
    }

    private TimeProvider? _time;

    public SamsaBroker Broker { get; private set; }

    public string DataDir { get; }

    public BrokerConfig Config { get; }

    public int Port => Broker.BoundEndpoints[0].EndPoint.Port;

    public static async Task<TestBroker> StartAsync(Func<BrokerConfig, BrokerConfig>? configure = null, TimeProvider? time = null)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "samsa-test-" + Guid.NewGuid().ToString("N"));
        var config = new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [dataDir],
        };
        config = configure?.Invoke(config) ?? config;
        return new TestBroker(await SamsaBroker.StartAsync(config, time: time), dataDir, config) { _time = time };
    }

    /// <summary>Stops the broker and starts a new one on the same data directory and port.</summary>
    public async Task RestartAsync()
    {
        int port = Port;
        await Broker.StopAsync();
        var config = Config with { Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", port)] };
        Broker = await SamsaBroker.StartAsync(config, time: _time);
    }

    public Task<RawConnection> ConnectAsync() => RawConnection.ConnectAsync(Port);

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
