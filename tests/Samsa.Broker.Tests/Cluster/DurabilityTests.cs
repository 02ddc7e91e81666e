using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>Group commit and log dir failures seen through Produce and Fetch on a broker with two log dirs.</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private const int SegmentBytes = 4096;
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    private string DirA => Path.Combine(_broker.DataDir, "a");

    private string DirB => Path.Combine(_broker.DataDir, "b");

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with
        {
            LogDirs = [Path.Combine(c.LogDirs[0], "a"), Path.Combine(c.LogDirs[0], "b")],
            LogSegmentBytes = SegmentBytes,
            LogFlushGroupCommitEnable = true,
        });
        _connection = await _broker.ConnectAsync();
        var created = await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("events", 2), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(int partition, byte[] batch, short acks = -1)
    {
        var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce("events", partition, batch, acks), 9);
        return response.Responses[0].PartitionResponses[0];
    }

    private async Task<FetchResponse.PartitionData> FetchAsync(int partition)
    {
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch("events", partition, 0), 12);
        return response.Responses[0].Partitions[0];
    }

    /// <summary>The files of the active segment of events-<paramref name="partition"/>, found in either log dir.</summary>
    private string PartitionDir(int partition) =>
        new[] { DirA, DirB }.Select(d => Path.Combine(d, "events-" + partition)).Single(Directory.Exists);

    [Fact]
    public async Task Pipelined_produces_share_fsyncs_and_are_answered_in_order()
    {
        const int Count = 40;
        long roundsBefore = _broker.Broker.LogManager.GroupCommit!.Rounds;
        var sent = new List<(int Id, ApiKey Api, short Version)>();
        var burst = new MemoryStream();
        for (int i = 0; i < Count; i++)
        {
            // A metadata request in the middle must be answered after the produces before it.
            IProtocolMessage request = i == Count / 2
                ? new MetadataRequest { Topics = null }
                : Requests.Produce("events", i % 2, Batches.Build(3), acks: -1);
            short version = 9;
            int id = _connection.NextCorrelationId();
            burst.Write(RawConnection.Encode(request, version, id));
            sent.Add((id, request.Api, version));
        }
        await _connection.SendRawAsync(burst.ToArray());

        var nextOffset = new long[2];
        foreach (var (id, api, version) in sent)
        {
            var (received, body) = await _connection.ReceiveAsync(ApiMessages.ResponseHeaderVersion(api, version));
            Assert.Equal(id, received);
            if (api == ApiKey.Produce)
            {
                var result = RawConnection.Decode<ProduceResponse>(body, version).Responses[0].PartitionResponses[0];
                Assert.Equal(0, result.ErrorCode);
                Assert.Equal(nextOffset[result.Index], result.BaseOffset);
                nextOffset[result.Index] += 3;
                Assert.True(PartitionLogOf(result.Index).RecoveryPoint >= result.BaseOffset + 3, "answered before its fsync");
            }
        }

        long rounds = _broker.Broker.LogManager.GroupCommit!.Rounds - roundsBefore;
        Assert.True(rounds < Count - 1, $"{Count - 1} pipelined produces took {rounds} flush rounds");
    }

    private PartitionLog PartitionLogOf(int partition) =>
        _broker.Broker.LogManager.GetLog(new TopicPartition("events", partition))!;

    [Fact]
    public async Task Acknowledged_produce_is_already_fsynced()
    {
        var first = await ProduceAsync(0, Batches.Build(5));
        Assert.Equal(0, first.ErrorCode);
        var second = await ProduceAsync(1, Batches.Build(3), acks: 1);
        Assert.Equal(0, second.ErrorCode);

        // The recovery point moves only after a sync that covers the records: an acknowledged produce is below it.
        var manager = LogManagerOf();
        Assert.True(manager.GetLog(new TopicPartition("events", 0))!.RecoveryPoint >= 5);
        Assert.True(manager.GetLog(new TopicPartition("events", 1))!.RecoveryPoint >= 3);
        Assert.NotNull(manager.GroupCommit);
        Assert.True(manager.GroupCommit!.Rounds >= 2);
    }

    [Fact]
    public async Task Full_disk_in_one_log_dir_fails_its_partitions_with_storage_error_and_the_other_dir_keeps_serving()
    {
        string broken = PartitionDir(0);
        Assert.NotEqual(Path.GetDirectoryName(broken), Path.GetDirectoryName(PartitionDir(1)));
        byte[] batch = Batches.Build(5, new string('x', 200));
        long logEnd = 0;
        while (true)
        {
            long active = new FileInfo(Directory.GetFiles(broken, "*.log").Max()!).Length;
            if (active + batch.Length > SegmentBytes)
            {
                // The roll about to happen creates this file; writes to /dev/full fail with ENOSPC.
                File.CreateSymbolicLink(Path.Combine(broken, LogSegment.FileName(logEnd, LogSegment.LogFileSuffix)), "/dev/full");
                break;
            }

            var ok = await ProduceAsync(0, batch);
            Assert.Equal(0, ok.ErrorCode);
            logEnd = ok.BaseOffset + 5;
        }

        var failed = await ProduceAsync(0, batch);
        Assert.Equal((short)ErrorCode.KafkaStorageError, failed.ErrorCode);
        Assert.Equal((short)ErrorCode.KafkaStorageError, (await ProduceAsync(0, Batches.Build(1))).ErrorCode);
        Assert.Equal((short)ErrorCode.KafkaStorageError, (await FetchAsync(0)).ErrorCode);
        Assert.True(LogManagerOf().IsLogDirOffline(Path.GetDirectoryName(broken)!));

        var metadata = await _connection.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "events" }] }, 9);
        var offline = metadata.Topics[0].Partitions.Single(p => p.PartitionIndex == 0);
        Assert.Equal((short)ErrorCode.LeaderNotAvailable, offline.ErrorCode);
        Assert.Equal(-1, offline.LeaderId);
        Assert.Equal([_broker.Config.BrokerId], offline.OfflineReplicas);
        var online = metadata.Topics[0].Partitions.Single(p => p.PartitionIndex == 1);
        Assert.Equal(0, online.ErrorCode);
        Assert.Empty(online.OfflineReplicas);

        var other = await ProduceAsync(1, Batches.Build(2));
        Assert.Equal(0, other.ErrorCode);
        var fetched = await FetchAsync(1);
        Assert.Equal(0, fetched.ErrorCode);
        Assert.Equal(2, fetched.HighWatermark);
        Assert.True(fetched.Records!.Value.Length > 0);
    }

    private LogManager LogManagerOf() => _broker.Broker.LogManager;
}
