using System.Text.Json;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>
/// DescribeConfigs, AlterConfigs and CreatePartitions from confluent-kafka-python's AdminClient (librdkafka), against a
/// broker started with num.partitions=3 so a broker-level value the operator set reads as STATIC_BROKER_CONFIG.
/// The installed confluent-kafka-python (1.7) has no incremental_alter_configs.
/// </summary>
public sealed class AdminConfigsInteropTests
{
    private const string Driver = "admin_configs.py";
    private const string DebianPython = "/usr/bin/python3";

    [Fact]
    public async Task Confluent_admin_describes_alters_configs_and_creates_partitions()
    {
        await using var broker = await BrokerProcess.LaunchAsync(new Dictionary<string, string> { ["num.partitions"] = "3" });
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            var topic = InteropFailure.NewTopic("admin-configs");
            var result = await ClientProcess.RunAsync(
                DebianPython,
                [Path.Combine(ClientPaths.PythonDirectory, Driver), "--bootstrap", broker.BootstrapServers, "--topic", topic],
                TimeSpan.FromSeconds(120),
                workingDirectory: ClientPaths.PythonDirectory);
            if (result.ExitCode != 0)
            {
                throw new XunitException($"{Driver} failed\n{result.Describe()}");
            }
            using var document = JsonDocument.Parse(result.Stdout);
            var root = document.RootElement;
            (string? Value, string? Source, bool ReadOnly, bool Default) Entry(string step, string key)
            {
                var entry = root.GetProperty(step).GetProperty(key);
                return (entry.GetProperty("value").GetString(), entry.GetProperty("source").GetString(),
                    entry.GetProperty("read_only").GetBoolean(), entry.GetProperty("default").GetBoolean());
            }

            Assert.Equal("ok", root.GetProperty("create").GetString());
            Assert.Equal(28, root.GetProperty("describe").GetProperty("count").GetInt32());
            Assert.Equal(("100000", "1", false, false), Entry("describe", "retention.ms"));
            Assert.Equal(("delete", "5", false, true), Entry("describe", "cleanup.policy"));

            Assert.Equal("ok", root.GetProperty("alter").GetString());
            Assert.Equal(("200000", "1", false, false), Entry("describe_after_alter", "retention.ms"));
            Assert.Equal(("compact", "1", false, false), Entry("describe_after_alter", "cleanup.policy"));

            Assert.Equal("INVALID_CONFIG", root.GetProperty("alter_invalid").GetString());
            Assert.Equal(("1073741824", "5", false, true), Entry("describe_after_invalid", "segment.bytes"));
            Assert.Equal(("200000", "1", false, false), Entry("describe_after_invalid", "retention.ms"));

            Assert.Equal("ok", root.GetProperty("grow").GetString());
            Assert.Equal(4, root.GetProperty("partitions").GetInt32());
            Assert.Equal("INVALID_PARTITIONS", root.GetProperty("shrink").GetString());

            Assert.Equal(("3", "4", true, false), Entry("describe_broker", "num.partitions"));
            Assert.Equal(("604800000", "5", true, true), Entry("describe_broker", "log.retention.ms"));
            Assert.Equal("UNKNOWN_TOPIC_OR_PART", root.GetProperty("describe_missing").GetString());

            var partitionDirs = Directory.GetDirectories(broker.DataDirectory, topic + "-*");
            Assert.Equal(4, partitionDirs.Length);
        });
    }
}
