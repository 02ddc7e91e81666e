using System.Globalization;
using Samsa.Broker.Cluster;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Coordinator;

/// <summary>__consumer_offsets is compacted by the broker's cleaner, and the groups load from the cleaned log.</summary>
public sealed class CompactedOffsetsTopicTests : IAsyncLifetime
{
    private TestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with
        {
            GroupInitialRebalanceDelayMs = 0,
            OffsetsTopicNumPartitions = 1,
            OffsetsTopicSegmentBytes = 1024,
            LogCleanerMinCleanableRatio = 0.01,
            LogCleanerBackoffMs = 20,
        });
        using var admin = await _broker.ConnectAsync();
        await admin.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("orders", 2), 5);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Committed_offsets_load_from_a_cleaned_offsets_topic()
    {
        const int Commits = 60;
        using (var client = await GroupClient.ConnectAsync(_broker))
        {
            Assert.Equal(ErrorCode.None, await client.CommitAsync("early", -1, "", "orders", 1, 77, "once"));
            for (int i = 1; i <= Commits; i++)
            {
                Assert.Equal(ErrorCode.None, await client.CommitAsync("busy", -1, "", "orders", 0, i, "commit-" + i));
            }
        }

        string checkpoint = Path.Combine(_broker.DataDir, "cleaner-offset-checkpoint");
        // A pass may run while the commits arrive; later passes clean up to the active segment.
        await Eventually.True(
            () => CheckpointOf(checkpoint, "__consumer_offsets 0 ") >= Commits / 2 && RecordsIn("__consumer_offsets-0") < Commits / 2,
            "the cleaner to remove most commits of __consumer_offsets-0", TimeSpan.FromSeconds(30));

        await _broker.RestartAsync();
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(((long)Commits, "commit-" + Commits), await after.FetchOffsetAsync("busy", "orders", 0));
        Assert.Equal((77L, "once"), await after.FetchOffsetAsync("early", "orders", 1));
    }

    [Fact]
    public async Task Transactional_offsets_load_from_a_cleaned_offsets_topic_committed_ones_only()
    {
        const int Transactions = 40;
        const long ProducerId = 900;
        var groups = _broker.Broker.Groups;
        var markers = new TxnMarkerWriter(_broker.Broker.Replicas, groups, TimeProvider.System);
        var offsetsPartition = new TopicPartition(GroupCoordinator.OffsetsTopic, groups.PartitionFor("eos"));
        var orders = new TopicPartition("orders", 0);
        async Task TransactionAsync(long offset, bool commit)
        {
            var results = await groups.CommitTxnOffsetsAsync("eos", ProducerId, 0, -1, "", null, [(orders, offset, -1, "txn-" + offset)]);
            Assert.Equal(ErrorCode.None, results[orders]);
            Assert.Equal(ErrorCode.None, await markers.WriteMarkerAsync(offsetsPartition, ProducerId, 0, 0, commit));
        }

        for (int i = 1; i <= Transactions; i++)
        {
            await TransactionAsync(i, commit: true);
        }
        await TransactionAsync(999, commit: false);

        // The cleaner removes the older committed records; the markers and the aborted record stay.
        string checkpoint = Path.Combine(_broker.DataDir, "cleaner-offset-checkpoint");
        await Eventually.True(
            () => CheckpointOf(checkpoint, "__consumer_offsets 0 ") >= Transactions && DataRecordsIn("__consumer_offsets-0") < Transactions / 2,
            "the cleaner to remove most transactional commits of __consumer_offsets-0", TimeSpan.FromSeconds(30));

        await _broker.RestartAsync();
        using var after = await GroupClient.ConnectAsync(_broker);
        Assert.Equal(((long)Transactions, "txn-" + Transactions), await after.FetchOffsetAsync("eos", "orders", 0));
    }

    /// <summary>Records of the partition's data batches (transaction markers left out), counted from the batch headers.</summary>
    private int DataRecordsIn(string partitionDirectory) => RecordsIn(partitionDirectory, countControl: false);

    private static long CheckpointOf(string path, string prefix)
    {
        try
        {
            string? line = File.ReadAllLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>Records in the partition's segment files, counted from the batch headers.</summary>
    private int RecordsIn(string partitionDirectory, bool countControl = true)
    {
        int records = 0;
        foreach (string file in Directory.EnumerateFiles(Path.Combine(_broker.DataDir, partitionDirectory), "*.log"))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                return int.MaxValue; // A swap or deletion renamed it meanwhile: count again later.
            }

            int position = 0;
            while (position + 61 <= bytes.Length)
            {
                bool control = (System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(position + 21)) & 0x20) != 0;
                records += control && !countControl ? 0 : System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 57));
                position += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
            }
        }

        return records;
    }
}
