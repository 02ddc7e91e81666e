using System.Text.Json;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>
/// DeleteRecords from a real client. KafkaJS's admin.deleteTopicRecords is the one available here: the installed
/// confluent-kafka-python (1.7) and kafka-python (2.0.2) have no delete_records.
/// </summary>
public sealed class DeleteRecordsInteropTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerProcess _broker;

    public DeleteRecordsInteropTests(BrokerFixture fixture) => _broker = fixture.Broker;

    [Fact]
    public Task Kafkajs_deleteTopicRecords_moves_the_low_watermark() =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var topic = InteropFailure.NewTopic("delete-records");
            var result = await ClientProcess.RunAsync(
                "node",
                [Path.Combine(ClientPaths.NodeDirectory, "kafkajs_delete_records.js"), "--bootstrap", _broker.BootstrapServers, "--topic", topic],
                TimeSpan.FromSeconds(60),
                environment: new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" });
            if (result.ExitCode != 0)
            {
                throw new XunitException($"the KafkaJS delete-records driver failed\n{result.Describe()}");
            }

            using var document = JsonDocument.Parse(result.Stdout);
            var root = document.RootElement;
            (long Low, long High) Marks(string step) =>
                (root.GetProperty(step).GetProperty("low").GetInt64(), root.GetProperty(step).GetProperty("high").GetInt64());

            Assert.Equal((0L, 10L), Marks("before"));
            Assert.Equal((4L, 10L), Marks("afterFour"));
            Assert.Equal("OFFSET_OUT_OF_RANGE", root.GetProperty("aboveHighWatermark").GetString());
            Assert.Equal((10L, 10L), Marks("afterAll"));
        });
}
