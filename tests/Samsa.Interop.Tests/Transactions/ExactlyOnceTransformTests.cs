using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// Consume-transform-produce with confluent-kafka-python: a group member reads the input with read_committed,
/// writes each record transformed to the output inside a transaction that also carries the input offsets
/// (send_offsets_to_transaction), and is SIGKILLed in the middle of a transaction several times, each time restarted
/// with the same transactional.id. The output read with read_committed must hold every input record transformed
/// exactly once, in input order per partition.
/// </summary>
public sealed class ExactlyOnceTransformTests : IClassFixture<ConsumerGroupBrokerFixture>
{
    private const int Partitions = 3;
    private const int InputRecords = 10_000;
    private const int PerTransaction = 200;
    private const int Kills = 4;
    private static readonly TimeSpan RunDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProgressDeadline = TimeSpan.FromSeconds(30);
    private readonly ConsumerGroupBrokerFixture _fixture;

    public ExactlyOnceTransformTests(ConsumerGroupBrokerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Transformer_killed_mid_transaction_produces_every_record_exactly_once()
    {
        await InteropClients.ConfluentKafka.EnsureInstalledAsync();
        var broker = _fixture.Broker;
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string input = InteropFailure.NewTopic("eos-in");
            string output = InteropFailure.NewTopic("eos-out");
            string group = InteropFailure.NewTopic("eos-group");
            string transactionalId = InteropFailure.NewTopic("eos-tid");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, input, Partitions);
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, output, Partitions);
            await TxnDriver.RunAsync("produce-input", broker.BootstrapServers, Partitions, TimeSpan.FromSeconds(30),
                "--topic", input, "--count", TxnDriver.Text(InputRecords));

            var arguments = TxnDriver.Arguments("transform", broker.BootstrapServers, Partitions,
                "--input", input, "--output", output, "--group", group, "--transactional-id", transactionalId,
                "--per-txn", TxnDriver.Text(PerTransaction), "--rate", "2500", "--timeout", TxnDriver.Text((int)RunDeadline.TotalSeconds));
            var random = new Random();
            var kills = new List<string>();
            for (int run = 0; ; run++)
            {
                using var transformer = StreamingDriver.Start(TxnDriver.Python, arguments, ClientPaths.PythonDirectory);
                if (run == Kills)
                {
                    int code = await transformer.WaitForExitAsync(RunDeadline);
                    Assert.True(code == 0 && transformer.Last("done") is not null, $"the last transformer run did not finish cleanly\n{transformer.Describe()}");
                    break;
                }

                // Kill after at least one commit of this run, inside a later transaction once some of its records
                // are acknowledged, so they are in the output log when the transaction dies.
                int commitsBefore = random.Next(1, 4);
                int acknowledgedInTransaction = random.Next(1, PerTransaction / 2);
                await Poll.UntilAsync(() =>
                {
                    transformer.ThrowIfFailed();
                    if (transformer.HasFinished)
                    {
                        throw new InvalidOperationException($"run {run}: the transformer finished before it could be killed; too few input records per run\n{transformer.Describe()}");
                    }
                    var committed = transformer.Last("committed");
                    var delivered = transformer.Last("delivered");
                    if (committed is not { } c || delivered is not { } d)
                    {
                        return false;
                    }
                    int open = d.GetProperty("txn").GetInt32();
                    return c.GetProperty("txn").GetInt32() + 1 >= commitsBefore && open > c.GetProperty("txn").GetInt32()
                           && d.GetProperty("n").GetInt32() >= acknowledgedInTransaction;
                }, ProgressDeadline, $"run {run}: the transformer commits {commitsBefore} transactions and has {acknowledgedInTransaction} records of the next acknowledged",
                    transformer.Describe);
                await transformer.KillAsync();
                kills.Add($"run {run}: killed after {transformer.Count("committed")} commits, last acknowledged {transformer.Last("delivered")?.GetRawText()}");
            }

            var readCommitted = await TxnDriver.ConsumeAtLeastAsync(broker.BootstrapServers, output, Partitions, "read_committed", InputRecords);
            for (int p = 0; p < Partitions; p++)
            {
                var expected = Enumerable.Range(0, InputRecords).Where(i => i % Partitions == p).Select(i => $"T:v{i:D5}").ToList();
                var got = readCommitted.InPartition(p).Select(r => r.Value).ToList();
                if (!got.SequenceEqual(expected))
                {
                    var duplicates = got.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
                    var missing = expected.Except(got).Take(5).ToList();
                    int firstDifference = got.Zip(expected).TakeWhile(pair => pair.First == pair.Second).Count();
                    Assert.Fail($"partition {p}: read_committed output has {got.Count} records for {expected.Count} inputs; first difference at index " +
                                $"{firstDifference}; duplicates e.g. [{string.Join(", ", duplicates)}]; missing e.g. [{string.Join(", ", missing)}]\n" +
                                string.Join('\n', kills));
                }
                var keys = readCommitted.InPartition(p).Select(r => r.Key).ToList();
                Assert.Equal(Enumerable.Range(0, InputRecords).Where(i => i % Partitions == p).Select(i => $"k{i}"), keys);
            }

            // The killed runs' open transactions had acknowledged records; they were aborted, and stay in the log.
            var readUncommitted = await TxnDriver.ConsumeAsync(broker.BootstrapServers, output, Partitions, "read_uncommitted");
            Assert.True(readUncommitted.Records.Count > InputRecords,
                $"read_uncommitted saw {readUncommitted.Records.Count} records; the {Kills} killed transactions' records should be there too\n{string.Join('\n', kills)}");
        });
    }
}
