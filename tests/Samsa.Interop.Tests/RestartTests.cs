using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// A broker restarted on the same port and data directory keeps every
/// record it acknowledged with acks=all and continues each partition's
/// offsets without a gap, after SIGTERM and after kill -9 (the page cache
/// survives a process kill, so no fsync is needed for that).
/// </summary>
public sealed class RestartTests
{
    private const int RecordCount = 60;

    [Fact]
    public Task Acknowledged_records_survive_a_graceful_restart() => ProduceAcrossRestartAsync(graceful: true);

    [Fact]
    public Task Acknowledged_records_survive_kill_9() => ProduceAcrossRestartAsync(graceful: false);

    private static async Task ProduceAcrossRestartAsync(bool graceful)
    {
        await using var broker = await BrokerProcess.LaunchAsync();
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            var client = InteropClients.ConfluentKafka;
            var topic = InteropFailure.NewTopic(graceful ? "restart-term" : "restart-kill");
            await client.CreateTopicAsync(broker.BootstrapServers, topic, RecordSets.Partitions);

            var records = RecordSets.Mixed("restart", RecordCount);
            var firstHalf = records.Take(RecordCount / 2).ToList();
            var secondHalf = records.Skip(RecordCount / 2).ToList();
            var reports = new List<Model.DeliveryReport>(await client.ProduceAsync(broker.BootstrapServers, topic, firstHalf));

            if (graceful)
            {
                var exitCode = await broker.StopAsync();
                Assert.True(exitCode == 0, $"the broker exited with code {exitCode} after SIGTERM, expected 0");
            }
            else
            {
                broker.Kill();
            }
            await broker.StartAsync();

            reports.AddRange(await client.ProduceAsync(broker.BootstrapServers, topic, secondHalf));
            RecordAssert.DeliveriesAreDense(records, reports, "confluent-kafka-python produce across the restart");

            var consumed = await client.ConsumeAsync(broker.BootstrapServers, topic, RecordSets.Partitions, records.Count);
            RecordAssert.ConsumedExactly(records, consumed, "confluent-kafka-python after the restart");
            var byKcat = await InteropClients.Kcat.ConsumeAsync(broker.BootstrapServers, topic, RecordSets.Partitions, records.Count);
            RecordAssert.ConsumedExactly(records, byKcat, "kcat after the restart");
        });
    }
}
