using System.Net;
using System.Net.Sockets;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Tests.Infrastructure;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Admin;

/// <summary>AdminClient's partition and config calls against an in-process broker.</summary>
public sealed class AdminClientConfigsTests : IAsyncLifetime
{
    private ClientTestBroker _broker = null!;
    private AdminClient _admin = null!;

    public async Task InitializeAsync()
    {
        _broker = await ClientTestBroker.StartAsync(c => c with { LogRetentionMs = 3_600_000 });
        _admin = await AdminClient.ConnectAsync(new AdminClientConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            ClientId = "admin-configs-test",
            RequestTimeoutMs = 10_000,
        });
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private static ConfigEntryResult Entry(IReadOnlyList<ConfigEntryResult> entries, string name) => Assert.Single(entries, e => e.Name == name);

    [Fact]
    public async Task Describe_configs_reports_overrides_broker_values_and_defaults()
    {
        await _admin.CreateTopicAsync("described", 1, configs: new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        var entries = await _admin.DescribeConfigsAsync("described");

        Assert.Equal(new ConfigEntryResult("cleanup.policy", "compact", ConfigSource.DynamicTopicConfig, false, false), Entry(entries, "cleanup.policy"));
        Assert.Equal(new ConfigEntryResult("retention.ms", "3600000", ConfigSource.StaticBrokerConfig, false, false), Entry(entries, "retention.ms"));
        var segmentBytes = Entry(entries, "segment.bytes");
        Assert.Equal(("1073741824", ConfigSource.DefaultConfig), (segmentBytes.Value, segmentBytes.Source));
        Assert.True(segmentBytes.IsDefault);
        Assert.False(Entry(entries, "retention.ms").IsDefault);
    }

    [Fact]
    public async Task Describe_configs_of_a_missing_topic_throws_unknown_topic()
    {
        var error = await Assert.ThrowsAsync<KafkaException>(() => _admin.DescribeConfigsAsync("missing"));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.Error);
    }

    [Fact]
    public async Task Describe_broker_configs_are_read_only()
    {
        var entries = await _admin.DescribeBrokerConfigsAsync(0);
        Assert.All(entries, e => Assert.True(e.IsReadOnly));
        Assert.Equal(("3600000", ConfigSource.StaticBrokerConfig), (Entry(entries, "log.retention.ms").Value, Entry(entries, "log.retention.ms").Source));
    }

    [Fact]
    public async Task Incremental_alter_sets_deletes_and_appends_only_the_named_keys()
    {
        await _admin.CreateTopicAsync("incremental", 1, configs: new Dictionary<string, string> { ["retention.ms"] = "1000", ["segment.ms"] = "2000" });
        await _admin.IncrementalAlterConfigsAsync("incremental",
            [AlterConfigOp.Set("max.message.bytes", "4096"), AlterConfigOp.Delete("retention.ms"), AlterConfigOp.Append("cleanup.policy", "compact")]);

        var overrides = (await _admin.DescribeConfigsAsync("incremental"))
            .Where(e => e.Source == ConfigSource.DynamicTopicConfig)
            .Select(e => (e.Name, e.Value));
        Assert.Equal([("cleanup.policy", "delete,compact"), ("max.message.bytes", "4096"), ("segment.ms", "2000")], overrides);

        await _admin.IncrementalAlterConfigsAsync("incremental", [AlterConfigOp.Subtract("cleanup.policy", "delete")]);
        Assert.Equal("compact", Entry(await _admin.DescribeConfigsAsync("incremental"), "cleanup.policy").Value);
    }

    [Fact]
    public async Task Invalid_alterations_throw_invalid_config_and_validate_only_changes_nothing()
    {
        await _admin.CreateTopicAsync("guarded", 1);
        var badValue = await Assert.ThrowsAsync<KafkaException>(() =>
            _admin.IncrementalAlterConfigsAsync("guarded", [AlterConfigOp.Set("segment.bytes", "10")]));
        Assert.Equal(ErrorCode.InvalidConfig, badValue.Error);
        Assert.Contains("segment.bytes", badValue.Message);
        var unknownKey = await Assert.ThrowsAsync<KafkaException>(() =>
            _admin.AlterConfigsAsync("guarded", new Dictionary<string, string> { ["retention.minutes"] = "5" }));
        Assert.Equal(ErrorCode.InvalidConfig, unknownKey.Error);

        await _admin.IncrementalAlterConfigsAsync("guarded", [AlterConfigOp.Set("retention.ms", "5")], validateOnly: true);
        await _admin.AlterConfigsAsync("guarded", new Dictionary<string, string> { ["retention.ms"] = "5" }, validateOnly: true);
        Assert.DoesNotContain(await _admin.DescribeConfigsAsync("guarded"), e => e.Source == ConfigSource.DynamicTopicConfig);
    }

    [Fact]
    public async Task Alter_configs_replaces_the_override_set_and_the_change_survives_a_restart()
    {
        await _admin.CreateTopicAsync("replaced", 1, configs: new Dictionary<string, string> { ["retention.ms"] = "1000" });
        await _admin.AlterConfigsAsync("replaced", new Dictionary<string, string> { ["segment.ms"] = "60000" });

        await _admin.DisposeAsync();
        await _broker.RestartAsync();
        _admin = await AdminClient.ConnectAsync(_broker.BootstrapServers);
        var entries = await _admin.DescribeConfigsAsync("replaced");
        Assert.Equal(new ConfigEntryResult("segment.ms", "60000", ConfigSource.DynamicTopicConfig, false, false), Entry(entries, "segment.ms"));
        Assert.Equal(ConfigSource.StaticBrokerConfig, Entry(entries, "retention.ms").Source);
    }

    [Fact]
    public async Task Create_partitions_grows_the_topic_and_refuses_to_shrink_it()
    {
        await _admin.CreateTopicAsync("growing", 2);
        await _admin.CreatePartitionsAsync("growing", 3, validateOnly: true);
        Assert.Equal(2, (await _admin.DescribeTopicsAsync(["growing"]))[0].Partitions.Count);

        await _admin.CreatePartitionsAsync("growing", 5);
        var partitions = (await _admin.DescribeTopicsAsync(["growing"]))[0].Partitions;
        Assert.Equal([0, 1, 2, 3, 4], partitions.Select(p => p.Partition));

        var shrink = await Assert.ThrowsAsync<KafkaException>(() => _admin.CreatePartitionsAsync("growing", 4));
        Assert.Equal(ErrorCode.InvalidPartitions, shrink.Error);
        var missing = await Assert.ThrowsAsync<KafkaException>(() => _admin.CreatePartitionsAsync("missing", 4));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, missing.Error);
    }

    [Fact]
    public async Task Connect_with_config_skips_an_unreachable_bootstrap_server()
    {
        // A port that was just free: nothing listens there.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int deadPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var admin = await AdminClient.ConnectAsync(new AdminClientConfig
        {
            BootstrapServers = $"127.0.0.1:{deadPort},{_broker.BootstrapServers}",
        });
        await admin.CreateTopicAsync("via-second-server", 1);
        Assert.Contains("via-second-server", await _admin.ListTopicsAsync());
    }

    [Fact]
    public async Task Connect_with_config_rejects_an_invalid_config()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => AdminClient.ConnectAsync(new AdminClientConfig()));
        var config = new AdminClientConfig { BootstrapServers = _broker.BootstrapServers };
        config.Set("acks", "all");
        await Assert.ThrowsAsync<ArgumentException>(() => AdminClient.ConnectAsync(config));
    }
}
