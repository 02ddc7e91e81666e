using System.Text.Json;
using Samsa.Broker.Coordinator.Transaction;

namespace Samsa.Broker.Tests.Coordinator.Transaction;

public sealed class ProducerIdManagerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("samsa-pid-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ids_are_unique_and_a_new_manager_starts_after_the_reserved_block()
    {
        var first = new ProducerIdManager(_dir, brokerId: 3);
        var ids = Enumerable.Range(0, ProducerIdManager.BlockSize + 5).Select(_ => first.GenerateProducerId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(0, ids[0]);

        // Two blocks were reserved; the file names the last one.
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, ProducerIdManager.FileName))))
        {
            Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
            Assert.Equal(3, json.RootElement.GetProperty("broker").GetInt32());
            Assert.Equal(ProducerIdManager.BlockSize, json.RootElement.GetProperty("block_start").GetInt64());
            Assert.Equal((2 * ProducerIdManager.BlockSize) - 1, json.RootElement.GetProperty("block_end").GetInt64());
        }

        var second = new ProducerIdManager(_dir, brokerId: 3);
        Assert.Equal(2 * ProducerIdManager.BlockSize, second.GenerateProducerId());
    }

    [Fact]
    public void Concurrent_callers_never_get_the_same_id()
    {
        var manager = new ProducerIdManager(_dir, brokerId: 0);
        var ids = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 1500; i++)
            {
                ids.Add(manager.GenerateProducerId());
            }
        });
        Assert.Equal(6000, ids.Distinct().Count());
    }

    [Fact]
    public void A_malformed_block_file_fails_loudly()
    {
        File.WriteAllText(Path.Combine(_dir, ProducerIdManager.FileName), "{\"version\":1");
        var e = Assert.Throws<InvalidDataException>(() => new ProducerIdManager(_dir, brokerId: 0));
        Assert.Contains(ProducerIdManager.FileName, e.Message);
    }
}
