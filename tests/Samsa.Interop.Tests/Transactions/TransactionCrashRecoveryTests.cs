using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// The broker dies between PrepareCommit and the markers: started with SAMSA_FAULT_KILL_AFTER_TXN_PREPARE=1 it
/// SIGKILLs itself right after the PrepareCommit record of a transaction is durable in __transaction_state and before
/// any marker is written. Started again without the switch, it must finish the commit by itself (the client that
/// asked for it is gone): a read_committed consumer then sees the transaction's records, and the transaction's state
/// is CompleteCommit.
/// </summary>
public sealed class TransactionCrashRecoveryTests
{
    private const int Partitions = 3;
    private const int Records = 9;
    private const string FaultSwitch = "SAMSA_FAULT_KILL_AFTER_TXN_PREPARE";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Commit_interrupted_by_a_broker_kill_after_prepare_completes_on_restart()
    {
        await InteropClients.ConfluentKafka.EnsureInstalledAsync();
        await using var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("txn-crash");
            string transactionalId = InteropFailure.NewTopic("tid-crash");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);

            // Restarted with the switch only now, so topic creation and the coordinators' start-up are done without it.
            await broker.StopAsync();
            broker.ExtraEnvironment[FaultSwitch] = "1";
            await broker.StartAsync();

            using var producer = StreamingDriver.Start(TxnDriver.Python,
                TxnDriver.Arguments("commit-once", broker.BootstrapServers, Partitions, "--topic", topic,
                    "--transactional-id", transactionalId, "--count", TxnDriver.Text(Records), "--commit-timeout", "3",
                    "--timeout", TxnDriver.Text((int)Deadline.TotalSeconds)),
                ClientPaths.PythonDirectory);
            await Poll.UntilAsync(() =>
            {
                producer.ThrowIfFailed();
                return !broker.IsRunning;
            }, Deadline, $"the broker kills itself after PrepareCommit ({FaultSwitch}=1)", () => producer.Describe());
            Assert.True(broker.ExitCode == 137, $"the broker exited with code {broker.ExitCode}, expected 137 (SIGKILL by itself)");

            // The client's commit cannot complete; it gives up after its bounded wait. It must not retry against the
            // restarted broker: the broker alone has to finish the transaction.
            await producer.WaitForExitAsync(Deadline);
            var produced = producer.Last("produced");
            Assert.True(produced is not null, $"the producer never sent its records\n{producer.Describe()}");
            var records = TxnRecord.ReadAll(produced!.Value.GetProperty("delivered"));
            Assert.Equal(Records, records.Count);
            Assert.True(producer.Last("commit-returned") is null, $"the commit returned successfully although the broker died before any marker\n{producer.Describe()}");

            broker.ExtraEnvironment.Remove(FaultSwitch);
            await broker.StartAsync();

            // The coordinator completes the commit when it loads its state; poll until the markers are there.
            TxnView? committed = null;
            await Poll.UntilAsync(async () =>
            {
                committed = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_committed");
                return committed.Records.Count >= Records;
            }, Deadline, "read_committed sees the transaction after the restart",
                () => $"read_committed saw {committed?.Records.Count} records: {string.Join(", ", committed?.Records ?? [])}");
            TransactionalProducerTests.AssertSameRecords(records, committed!.Records, "read_committed after the restart");
            var uncommitted = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            TransactionalProducerTests.AssertSameRecords(records, uncommitted.Records, "read_uncommitted after the restart");
            for (int p = 0; p < Partitions; p++)
            {
                Assert.True(committed.Watermarks[p].High == uncommitted.Watermarks[p].High,
                    $"partition {p}: LSO {committed.Watermarks[p].High} is not the high watermark {uncommitted.Watermarks[p].High}: the transaction is still open");
            }

            string description = "";
            await Poll.UntilAsync(async () =>
            {
                description = await SamsaCli.RunAsync("transactions", "--bootstrap-server", broker.BootstrapServers,
                    "--describe", "--transactional-id", transactionalId);
                // The row of the transactional id (after the header row) names its state.
                return description.Split('\n').Any(line => line.StartsWith(transactionalId + " ", StringComparison.Ordinal)
                    && line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("CompleteCommit"));
            }, Deadline, $"samsa transactions --describe shows {transactionalId} in CompleteCommit", () => description);
        });
    }
}
