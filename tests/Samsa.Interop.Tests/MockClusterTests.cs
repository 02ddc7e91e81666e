using System.Diagnostics;
using System.Net.Sockets;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests;

/// <summary>
/// The librdkafka mock cluster fixture is a working Kafka-protocol broker: kcat, which nobody here
/// wrote, writes to it and reads back exactly what it wrote. Samsa.Client's tests run against it
/// as a second, independent broker.
/// </summary>
public sealed class MockClusterTests
{
    [Fact]
    public async Task Kcat_reads_back_exactly_the_records_kcat_produced_to_the_mock()
    {
        const string topic = "mock-roundtrip";
        await using var mock = await MockClusterProcess.LaunchAsync(new MockTopic(topic, Partitions: 2));
        try
        {
            var records = Enumerable.Range(0, 10)
                .Select(i => new TestRecord(i % 2, $"key-{i}", $"value-{i}-{new string((char)('a' + i), i + 1)}", [], 0))
                .ToList();

            var reports = await InteropClients.Kcat.ProduceAsync(mock.BootstrapServers, topic, records);
            var consumed = await InteropClients.Kcat.ConsumeAsync(mock.BootstrapServers, topic, 2, records.Count);

            for (var partition = 0; partition < 2; partition++)
            {
                var sent = records.Where(r => r.Partition == partition).ToList();
                Assert.Equal(
                    Enumerable.Range(0, sent.Count).Select(o => (partition, (long)o)),
                    reports.Where(r => r.Partition == partition).Select(r => (r.Partition, r.Offset)));
                var read = consumed.Records.Where(r => r.Partition == partition).ToList();
                Assert.Equal(
                    sent.Select((r, offset) => (offset: (long)offset, r.Key, r.Value)),
                    read.Select(r => (r.Offset, r.Key, r.Value)));
            }
            Assert.Equal(records.Count, consumed.Records.Count);
        }
        catch (Exception e) when (e is not InteropTestException)
        {
            throw new InteropTestException($"{e.GetType().Name}: {e.Message}\n\n{mock.Describe()}", e);
        }
    }

    [Fact]
    public async Task Dispose_stops_the_mock_process_and_closes_its_listeners()
    {
        var mock = await MockClusterProcess.LaunchAsync(2, [new MockTopic("t", 1, Replicas: 2)]);
        var pid = mock.ProcessId;
        var ports = mock.BootstrapServers.Split(',').Select(a => int.Parse(a[(a.LastIndexOf(':') + 1)..])).ToList();
        Assert.Equal(2, ports.Count);
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
        }

        await mock.DisposeAsync();

        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", port));
        }
    }
}
