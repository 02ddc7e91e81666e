using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Producer;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Protocol;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// Offsets of several partitions at once from librdkafka's mock cluster, whose ListOffsets v4+ answers carry a
/// wrongly sized field: Samsa.Client must read every partition right.
/// </summary>
public sealed class SamsaClientMockOffsetsTests
{
    [Fact]
    public async Task List_offsets_of_three_partitions_on_the_mock_cluster_are_read_right()
    {
        await using var mock = await MockClusterProcess.LaunchAsync(new MockTopic("offsets", 3));
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = mock.BootstrapServers }).Build())
        {
            for (int partition = 0; partition < 3; partition++)
            {
                for (int i = 0; i <= partition; i++)
                {
                    await producer.ProduceAsync(new TopicPartition("offsets", partition), new Message<Null, string> { Value = $"{partition}-{i}" });
                }
            }
        }
        await using var admin = await AdminClient.ConnectAsync(mock.BootstrapServers);
        var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition("offsets", p)).ToList();
        var latest = await admin.ListOffsetsAsync(partitions, -1);
        var earliest = await admin.ListOffsetsAsync(partitions, -2);
        Assert.Equal([1L, 2L, 3L], partitions.Select(p => latest[p]));
        Assert.Equal([0L, 0L, 0L], partitions.Select(p => earliest[p]));
    }
}
