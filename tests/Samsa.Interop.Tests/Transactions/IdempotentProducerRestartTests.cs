using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// confluent-kafka-python with enable.idempotence=true sends 20,000 numbered records while the broker is killed
/// (SIGKILL) once and stopped (SIGTERM) once, each time started again on the same port and data directory, and
/// paused (SIGSTOP) twice for twice the client's request timeout. Batches in flight at each cut are retried by the
/// client with their original sequence numbers; after a pause the broker still reads and appends the requests the
/// client gave up on, so the retries arrive as duplicates. The broker's producer state, rebuilt on restart, must
/// acknowledge the ones it already has without writing them again. At the end every record
/// is in the topic exactly once and in send order per partition, and the client saw no delivery error.
/// </summary>
public sealed class IdempotentProducerRestartTests
{
    private const int Partitions = 3;
    private const int Records = 20_000;
    private static readonly TimeSpan ProducerDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ProgressDeadline = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);

    private enum Cut
    {
        Kill,
        Term,
        Pause,
    }

    [Fact]
    public async Task Idempotent_producer_writes_every_record_once_across_broker_restarts()
    {
        await InteropClients.ConfluentKafka.EnsureInstalledAsync();
        await using var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("idempotent");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);

            // About 5 s of sending; the cuts fall at these acknowledgement counts.
            (int AckedAtLeast, Cut Cut)[] cuts = [(3_000, Cut.Kill), (7_000, Cut.Pause), (11_000, Cut.Term), (15_000, Cut.Pause)];
            using var producer = StreamingDriver.Start(TxnDriver.Python,
                TxnDriver.Arguments("idempotent", broker.BootstrapServers, Partitions, "--topic", topic,
                    "--count", TxnDriver.Text(Records), "--rate", "4000", "--request-timeout-ms", TxnDriver.Text((int)RequestTimeout.TotalMilliseconds),
                    "--timeout", TxnDriver.Text((int)ProducerDeadline.TotalSeconds)),
                ClientPaths.PythonDirectory);
            foreach (var (ackedAtLeast, cut) in cuts)
            {
                await Poll.UntilAsync(() =>
                {
                    producer.ThrowIfFailed();
                    return producer.Last("acked") is { } a && a.GetProperty("count").GetInt32() >= ackedAtLeast;
                }, ProgressDeadline, $"the producer has {ackedAtLeast} records acknowledged", producer.Describe);
                Assert.False(producer.HasExited, $"the producer finished before the cut at {ackedAtLeast}; it must still be sending\n{producer.Describe()}");
                switch (cut)
                {
                    case Cut.Kill:
                        broker.Kill();
                        await broker.StartAsync();
                        break;
                    case Cut.Term:
                        int code = await broker.StopAsync();
                        Assert.True(code == 0, $"the broker exited with {code} after SIGTERM");
                        await broker.StartAsync();
                        break;
                    case Cut.Pause:
                        // The length of the fault, not a wait for a condition: long enough for the client's
                        // in-flight produce requests to time out, so it retries batches the broker will still
                        // read and append from the old connection once it runs again.
                        broker.Pause();
                        try
                        {
                            await Task.Delay(RequestTimeout * 2);
                        }
                        finally
                        {
                            broker.Resume();
                        }
                        break;
                }
            }

            int exitCode = await producer.WaitForExitAsync(ProducerDeadline);
            var done = producer.Last("done");
            Assert.True(exitCode == 0 && done is not null, $"the producer did not finish\n{producer.Describe()}");
            Assert.True(done!.Value.GetProperty("error_count").GetInt32() == 0 && done.Value.GetProperty("not_flushed").GetInt32() == 0
                && done.Value.GetProperty("acked").GetInt32() == Records,
                $"the idempotent producer reported failures: {done.Value.GetRawText()}");

            var stored = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            for (int p = 0; p < Partitions; p++)
            {
                var expected = Enumerable.Range(0, Records).Where(i => i % Partitions == p).Select(i => i.ToString("D6")).ToList();
                var got = stored.InPartition(p).Select(r => r.Value).ToList();
                if (!got.SequenceEqual(expected))
                {
                    var duplicates = got.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
                    var missing = expected.Except(got).Take(5).ToList();
                    int firstDifference = got.Zip(expected).TakeWhile(pair => pair.First == pair.Second).Count();
                    Assert.Fail($"partition {p}: {got.Count} records stored for {expected.Count} sent; first difference at index {firstDifference} " +
                                $"(stored {got.ElementAtOrDefault(firstDifference)}, sent {expected.ElementAtOrDefault(firstDifference)}); " +
                                $"duplicates e.g. [{string.Join(", ", duplicates)}]; missing e.g. [{string.Join(", ", missing)}]");
                }
                var offsets = stored.InPartition(p).Select(r => r.Offset).ToList();
                Assert.True(offsets.SequenceEqual(Enumerable.Range(0, offsets.Count).Select(i => (long)i)),
                    $"partition {p}: offsets are not 0..{offsets.Count - 1} without gaps");
            }
        });
    }
}
