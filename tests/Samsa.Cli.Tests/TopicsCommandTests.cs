using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Cli.Commands;

namespace Samsa.Cli.Tests;

public sealed class TopicsCommandTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-topics-" + Guid.NewGuid().ToString("N"));
    private SamsaBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [_dataDir],
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<(int Exit, string Output)> Topics(params string[] args)
    {
        var output = new StringWriter();
        int exit = await TopicsCommand.RunAsync([.. args, "--bootstrap-server", _broker.BootstrapServers], output);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task Create_list_describe_delete_round_trip()
    {
        var (exit, output) = await Topics("--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=60000");
        Assert.Equal(0, exit);
        Assert.Equal("Created topic orders.", output.Trim());

        (exit, output) = await Topics("create", "--topic", "audit");
        Assert.Equal(0, exit);

        (exit, output) = await Topics("--list");
        Assert.Equal(["audit", "orders"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        (exit, output) = await Topics("--describe", "--topic", "orders");
        Assert.Equal(0, exit);
        Assert.Contains("Topic: orders\tTopicId: ", output);
        Assert.Contains("PartitionCount: 3\tReplicationFactor: 1", output);
        Assert.Contains("\tTopic: orders\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0", output);

        (exit, _) = await Topics("--delete", "--topic", "orders");
        Assert.Equal(0, exit);
        (_, output) = await Topics("--list");
        Assert.Equal("audit", output.Trim());
    }

    [Fact]
    public async Task Creating_an_existing_topic_fails_unless_if_not_exists()
    {
        Assert.Equal(0, (await Topics("--create", "--topic", "twice")).Exit);
        Assert.Equal(1, (await Topics("--create", "--topic", "twice")).Exit);
        Assert.Equal(0, (await Topics("--create", "--topic", "twice", "--if-not-exists")).Exit);
    }

    [Fact]
    public async Task Replication_factor_above_the_broker_count_is_refused()
    {
        Assert.Equal(1, (await Topics("--create", "--topic", "wide", "--replication-factor", "3")).Exit);
    }

    [Fact]
    public async Task Two_actions_are_a_usage_error()
    {
        await Assert.ThrowsAsync<UsageException>(() => Topics("--create", "--list", "--topic", "x"));
    }
}
