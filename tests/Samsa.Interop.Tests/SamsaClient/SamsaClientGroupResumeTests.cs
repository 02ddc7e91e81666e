using System.Diagnostics;
using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;
using Samsa.Protocol;
using ConsumedRecord = Samsa.Interop.Tests.Model.ConsumedRecord;
using ConsumeResult = Samsa.Interop.Tests.Model.ConsumeResult;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// One scenario, two brokers: librdkafka's mock cluster (a Kafka-protocol broker nobody here wrote) and a Samsa broker
/// process. Samsa.Client produces the mixed record set to three partitions; a consumer in a group reads part of it from
/// the beginning, commits and closes; a second consumer in the same group, set to auto.offset.reset=latest so that only
/// the committed offsets can bring it anything, resumes exactly there. Together they read every record once, in order.
/// </summary>
public sealed class SamsaClientGroupResumeTests
{
    private const int Partitions = 3;
    private const int RecordCount = 90;
    private const int FirstConsumerReads = 40;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("librdkafka-mock")]
    [InlineData("samsa")]
    public async Task A_new_group_member_resumes_at_the_offsets_a_closed_member_committed(string target)
    {
        string topic = InteropFailure.NewTopic("sc-resume");
        await using var broker = await Target.LaunchAsync(target, topic, Partitions);
        try
        {
            var records = RecordSets.Mixed("samsa-client-group", RecordCount);
            var reports = await SamsaClientDriver.ProduceAsync(broker.Bootstrap, topic, records);
            RecordAssert.DeliveriesAreDense(records, reports, $"Samsa.Client produce to {target}");

            string group = InteropFailure.NewTopic("sc-resume-group");
            var first = new List<ConsumedRecord>();
            IReadOnlyList<TopicPartitionOffset> committed;
            using (var consumer = Build(broker.Bootstrap, group, AutoOffsetReset.Earliest))
            {
                consumer.Subscribe(topic);
                // Until every partition has given at least one record, so every partition gets a commit.
                ConsumeWhile(consumer, first, () => first.Count < FirstConsumerReads || first.Select(r => r.Partition).Distinct().Count() < Partitions);
                committed = consumer.Commit();
                consumer.Close();
            }

            var positions = first.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Max(r => r.Offset) + 1);
            Assert.Equal(positions.OrderBy(p => p.Key).Select(p => (topic, p.Key, p.Value)),
                committed.OrderBy(c => c.Partition).Select(c => (c.Topic, c.Partition, c.Offset.Value)));

            var second = new List<ConsumedRecord>();
            var ends = records.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => (long)g.Count());
            using (var consumer = Build(broker.Bootstrap, group, AutoOffsetReset.Latest))
            {
                var stored = consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), Deadline);
                Assert.Equal(positions.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)), stored.OrderBy(c => c.Partition).Select(c => (c.Partition, c.Offset.Value)));
                consumer.Subscribe(topic);
                var next = new Dictionary<int, long>(positions);
                ConsumeWhile(consumer, second, () => ends.Any(e => next[e.Key] < e.Value), r => next[r.Partition] = r.Offset + 1);
                consumer.Close();
            }
            foreach (var (partition, offset) in positions)
            {
                var resumed = second.Where(r => r.Partition == partition).Select(r => r.Offset).FirstOrDefault(-1);
                Assert.True(resumed == offset || (resumed == -1 && offset == ends[partition]),
                    $"partition {partition}: the second member started at offset {resumed}, the first committed {offset}");
            }

            var both = new ConsumeResult([.. first, .. second], true, [], $"first member read {first.Count}, second {second.Count}");
            RecordAssert.ConsumedExactly(records, both, $"Samsa.Client group on {target}");
        }
        catch (Exception e) when (e is not InteropTestException)
        {
            throw new InteropTestException($"{e.GetType().Name}: {e.Message}\n\n{broker.Describe()}", e);
        }
    }

    private static IConsumer<string?, string?> Build(string bootstrap, string group, AutoOffsetReset reset) =>
        new ConsumerBuilder<string?, string?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = reset,
            EnableAutoCommit = false,
            // The mock keeps a rebalance open for session.timeout.ms - 1 s.
            SessionTimeoutMs = 3000,
            HeartbeatIntervalMs = 500,
        }).Build();

    private static void ConsumeWhile(IConsumer<string?, string?> consumer, List<ConsumedRecord> into, Func<bool> more, Action<ConsumedRecord>? onRecord = null)
    {
        var clock = Stopwatch.StartNew();
        while (more())
        {
            if (clock.Elapsed > Deadline)
            {
                throw new TimeoutException($"{consumer.Name} read {into.Count} records in {Deadline.TotalSeconds:F0} s; assignment " +
                                           string.Join(", ", consumer.Assignment));
            }
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                var record = SamsaClientDriver.FromResult(result);
                into.Add(record);
                onRecord?.Invoke(record);
            }
        }
    }

    /// <summary>A broker for the scenario with the topic in place: the mock creates it at launch, a Samsa broker through Samsa.Client's admin.</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly MockClusterProcess? _mock;
        private readonly BrokerProcess? _samsa;

        private Target(MockClusterProcess? mock, BrokerProcess? samsa)
        {
            _mock = mock;
            _samsa = samsa;
        }

        public string Bootstrap => _mock?.BootstrapServers ?? _samsa!.BootstrapServers;

        public static async Task<Target> LaunchAsync(string name, string topic, int partitions)
        {
            if (name == "librdkafka-mock")
            {
                return new Target(await MockClusterProcess.LaunchAsync(new MockTopic(topic, partitions)), null);
            }
            var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
            var target = new Target(null, broker);
            await SamsaClientDriver.CreateTopicAsync(broker.BootstrapServers, topic, partitions);
            return target;
        }

        public string Describe() => _mock?.Describe() ?? _samsa!.Describe();

        public async ValueTask DisposeAsync()
        {
            if (_mock is not null)
            {
                await _mock.DisposeAsync();
            }
            if (_samsa is not null)
            {
                await _samsa.DisposeAsync();
            }
        }
    }
}
