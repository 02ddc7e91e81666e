using System.Diagnostics;
using System.Text.RegularExpressions;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Network;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Cli.Tests;

/// <summary>
/// A broker process killed (SIGKILL, through the SAMSA_FAULT_KILL_AFTER_TXN_PREPARE test hook) right after writing
/// PrepareCommit, before any marker: on restart the transaction completes and the markers are in the partitions.
/// </summary>
public sealed partial class TransactionCrashTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-txn-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(Process Process, string Bootstrap)> StartBrokerAsync(bool killAfterPrepare)
    {
        var environment = new Dictionary<string, string>();
        if (killAfterPrepare)
        {
            environment["SAMSA_FAULT_KILL_AFTER_TXN_PREPARE"] = "1";
        }
        var process = CliProcess.Start(["server", "start", "--override", $"log.dirs={_dataDir}", "--override", "listeners=PLAINTEXT://127.0.0.1:0",
            "--override", "transaction.state.log.num.partitions=2"], environment);
        _ = process.StandardError.ReadToEndAsync();
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        var match = ReadyLine().Match(line);
        Assert.True(match.Success, line);
        return (process, match.Groups[1].Value);
    }

    [GeneratedRegex(@"ready on PLAINTEXT://(127\.0\.0\.1:\d+)")]
    private static partial Regex ReadyLine();

    [Fact]
    public async Task A_broker_killed_between_PrepareCommit_and_the_markers_completes_the_commit_on_restart()
    {
        long producerId;
        short epoch;
        var (crashing, bootstrap) = await StartBrokerAsync(killAfterPrepare: true);
        using (crashing)
        {
            await using (var admin = await AdminClient.ConnectAsync(bootstrap))
            {
                await admin.CreateTopicAsync("t", 2);
            }
            await using var connection = await KafkaConnection.ConnectAsync(bootstrap);
            var init = await connection.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = "app", TransactionTimeoutMs = 60_000 }, 4);
            Assert.Equal(0, init.ErrorCode);
            (producerId, epoch) = (init.ProducerId, init.ProducerEpoch);
            var add = new AddPartitionsToTxnRequest { TransactionalId = "app", ProducerId = producerId, ProducerEpoch = epoch };
            add.Topics.Add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = "t", Partitions = [0, 1] });
            var added = await connection.SendAsync<AddPartitionsToTxnResponse>(add, 3);
            Assert.All(added.Results.SelectMany(r => r.Results), r => Assert.Equal(0, r.ErrorCode));

            var end = new EndTxnRequest { TransactionalId = "app", ProducerId = producerId, ProducerEpoch = epoch, Committed = true };
            await Assert.ThrowsAnyAsync<Exception>(() => connection.SendAsync<EndTxnResponse>(end, 3).WaitAsync(TimeSpan.FromSeconds(30)));
            await crashing.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(137, crashing.ExitCode);
        }

        var (restarted, bootstrapAfter) = await StartBrokerAsync(killAfterPrepare: false);
        using (restarted)
        {
            try
            {
                await using var admin = await AdminClient.ConnectAsync(bootstrapAfter);
                var described = Assert.Single(await admin.DescribeTransactionsAsync(["app"]));
                Assert.Equal(("CompleteCommit", producerId, epoch), (described.State, described.ProducerId, described.ProducerEpoch));
                Assert.Empty(described.Partitions);

                await using var connection = await KafkaConnection.ConnectAsync(bootstrapAfter);
                foreach (int partition in new[] { 0, 1 })
                {
                    var markers = await MarkersAsync(connection, "t", partition);
                    Assert.Equal([(ControlRecordType.Commit, producerId, epoch)], markers);
                }
            }
            finally
            {
                Posix.Kill(restarted.Id, Posix.SigTerm);
                await restarted.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }

    private static async Task<List<(ControlRecordType Type, long ProducerId, short Epoch)>> MarkersAsync(KafkaConnection connection, string topic, int partition)
    {
        var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 1 << 20, ReplicaId = -1 };
        var fetchTopic = new FetchRequest.FetchTopic { Topic = topic };
        fetchTopic.Partitions.Add(new FetchRequest.FetchPartition { Partition = partition, FetchOffset = 0, PartitionMaxBytes = 1 << 20 });
        request.Topics.Add(fetchTopic);
        var response = await connection.SendAsync<FetchResponse>(request, 4);
        var data = response.Responses.Single().Partitions.Single();
        Assert.Equal(0, data.ErrorCode);
        var markers = new List<(ControlRecordType, long, short)>();
        byte[] bytes = data.Records?.ToArray() ?? [];
        int position = 0;
        while (RecordBatchHeader.TryRead(bytes.AsSpan(position), out var header) && header.TotalSize <= bytes.Length - position)
        {
            var batch = bytes.AsSpan(position, (int)header.TotalSize);
            if (header.IsControl)
            {
                Assert.True(EndTransactionMarker.TryRead(batch, out var type, out _));
                markers.Add((type, header.ProducerId, header.ProducerEpoch));
            }
            position += (int)header.TotalSize;
        }
        return markers;
    }
}
