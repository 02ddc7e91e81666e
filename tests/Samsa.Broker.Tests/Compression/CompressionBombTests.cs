using System.Diagnostics;
using Samsa.Broker.Config;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;
using Xunit.Abstractions;

namespace Samsa.Broker.Tests.Compression;

[CollectionDefinition(nameof(CompressionBombTests), DisableParallelization = true)]
public sealed class CompressionBombCollection;

/// <summary>
/// Compression bombs sent to a live broker: each is rejected (INVALID_RECORD when it expands past the bound,
/// CORRUPT_MESSAGE when its header lies) while the broker's memory stays within a small bound and another producer on
/// another connection keeps getting its batches acknowledged. Runs alone so the memory figures are this test's.
/// </summary>
[Collection(nameof(CompressionBombTests))]
public sealed class CompressionBombTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long Gigabyte = 1L << 30;
    private TestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync();
        using var connection = await _broker.ConnectAsync();
        var create = Requests.CreateTopic("bombs", 1);
        create.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = "max.message.bytes", Value = "4194304" });
        Assert.Equal(0, (await connection.SendAsync<CreateTopicsResponse>(create, 5)).Topics[0].ErrorCode);
        Assert.Equal(0, (await connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("honest", 1), 5)).Topics[0].ErrorCode);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    public static TheoryData<string> Bombs() => ["zstd-4GiB", "gzip-1GiB", "snappy-lying-header"];

    private static (byte[] Batch, ErrorCode Expected) Build(string name)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        byte[] prefix = CompressionBombs.HugeRecordPrefix();
        return name switch
        {
            "zstd-4GiB" => (CompressionBombs.Batch(CompressionType.Zstd, CompressionBombs.ZstdFrame(prefix, 4 * Gigabyte), now), ErrorCode.InvalidRecord),
            "gzip-1GiB" => (CompressionBombs.Batch(CompressionType.Gzip, CompressionBombs.Gzip(prefix, Gigabyte), now), ErrorCode.InvalidRecord),
            _ => (CompressionBombs.Batch(CompressionType.Snappy, CompressionBombs.SnappyLyingHeader(), now), ErrorCode.CorruptMessage),
        };
    }

    [Fact]
    public void The_zstd_bomb_really_expands_to_gigabytes()
    {
        byte[] prefix = CompressionBombs.HugeRecordPrefix();
        byte[] frame = CompressionBombs.ZstdFrame(prefix, 4 * Gigabyte);
        Assert.True(frame.Length < 200 * 1024, $"{frame.Length} bytes");
        long blocks = (4 * Gigabyte - prefix.Length) / (128 * 1024);
        Assert.Equal(prefix.Length + blocks * 128 * 1024, CompressionBombs.ExpandedSize(CompressionType.Zstd, frame, 5 * Gigabyte));
    }

    [Theory]
    [MemberData(nameof(Bombs))]
    public async Task Bomb_is_rejected_with_bounded_memory_while_another_producer_keeps_working(string bomb)
    {
        (byte[] batch, ErrorCode expected) = Build(bomb);
        Assert.True(batch.Length < 2 << 20, $"the bomb itself is {batch.Length} bytes");
        string? reason = BatchValidator.ValidateProduceBatch(batch.ToArray(), new RecordValidationPolicy { Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }).Reason;
        output.WriteLine($"{bomb}: {reason}");
        Assert.Contains(expected == ErrorCode.InvalidRecord ? "expand to more than 67108864 bytes" : "invalid length header", reason, StringComparison.Ordinal);

        using var honestConnection = await _broker.ConnectAsync();
        using var bombConnection = await _broker.ConnectAsync();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        using var stop = new CancellationTokenSource();
        long peakWorkingSet = workingSetBefore;
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var self = Process.GetCurrentProcess();
                peakWorkingSet = Math.Max(peakWorkingSet, self.WorkingSet64);
                await Task.Delay(5);
            }
        });
        int honestAcks = 0;
        Task honest = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested || honestAcks == 0)
            {
                var response = await honestConnection.SendAsync<ProduceResponse>(Requests.Produce("honest", 0, Batches.Build(10)), 9);
                Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
                honestAcks++;
            }
        });

        var stopwatch = Stopwatch.StartNew();
        ProduceResponse rejected = await bombConnection.SendAsync<ProduceResponse>(Requests.Produce("bombs", 0, batch), 9);
        stopwatch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await stop.CancelAsync();
        await honest;
        await sampler;

        output.WriteLine($"{bomb}: {batch.Length} bytes, rejected in {stopwatch.ElapsedMilliseconds} ms, managed allocations {allocated >> 10} KiB, "
            + $"peak working set growth {(peakWorkingSet - workingSetBefore) >> 10} KiB, {honestAcks} honest batches acknowledged meanwhile");
        Assert.Equal((short)expected, rejected.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.True(honestAcks > 0);
        // 64 MiB is the decompression bound; the streaming validator itself holds a 64 KiB window.
        Assert.True(allocated < 48L << 20, $"managed allocations grew by {allocated >> 20} MiB");
        Assert.True(peakWorkingSet - workingSetBefore < 160L << 20, $"working set grew by {(peakWorkingSet - workingSetBefore) >> 20} MiB");

        // Nothing of the bomb was stored, and the broker still serves the connection that sent it.
        var fetch = await bombConnection.SendAsync<FetchResponse>(Requests.Fetch("bombs", 0, 0), 12);
        Assert.Equal(0, fetch.Responses[0].Partitions[0].HighWatermark);
    }
}
