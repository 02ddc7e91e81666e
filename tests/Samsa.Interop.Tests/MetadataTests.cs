using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;
using Xunit.Sdk;

namespace Samsa.Interop.Tests;

/// <summary>Each real client sees a new topic's partitions, led by broker 0 at the advertised address.</summary>
public sealed class MetadataTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerProcess _broker;

    public MetadataTests(BrokerFixture fixture) => _broker = fixture.Broker;

    public static TheoryData<string> Clients => new(InteropClients.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Metadata_lists_three_partitions_led_by_broker_0(string client) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var c = InteropClients.ByName(client);
            var topic = InteropFailure.NewTopic($"md-{client}");
            await (c.HasAdmin ? c : InteropClients.DefaultAdmin).CreateTopicAsync(_broker.BootstrapServers, topic, 3);

            var metadata = await c.GetMetadataAsync(_broker.BootstrapServers, topic);

            var problems = new List<string>();
            if (metadata.ErrorCode != 0)
            {
                problems.Add($"topic error {metadata.ErrorCode}");
            }
            if (!metadata.Brokers.Any(b => b.Id == 0 && b.Host == "127.0.0.1" && b.Port == _broker.Port))
            {
                problems.Add($"broker 0 is not listed as 127.0.0.1:{_broker.Port}");
            }
            if (!metadata.Partitions.Select(p => p.Partition).SequenceEqual([0, 1, 2]))
            {
                problems.Add("partitions are not 0, 1, 2");
            }
            foreach (var p in metadata.Partitions)
            {
                if (p.ErrorCode != 0 || p.Leader != 0 || !p.Replicas.SequenceEqual([0]) || !p.Isr.SequenceEqual([0]))
                {
                    problems.Add($"partition {p.Partition} should have error 0, leader 0, replicas [0], isr [0]");
                }
            }
            if (problems.Count > 0)
            {
                throw new XunitException($"{client} metadata for {topic}: {string.Join("; ", problems)}\n{Show(metadata)}");
            }
        });

    private static string Show(TopicMetadata m) =>
        $"topic {m.Topic} error {m.ErrorCode}\n" +
        $"brokers: {string.Join(", ", m.Brokers.Select(b => $"{b.Id}@{b.Host}:{b.Port}"))}\n" +
        string.Join('\n', m.Partitions.Select(p =>
            $"partition {p.Partition}: error {p.ErrorCode} leader {p.Leader} replicas [{string.Join(',', p.Replicas)}] isr [{string.Join(',', p.Isr)}]"));
}
